import type { Cache } from './cache.ts';
import { ok, type Result } from './result.ts';

const MISS: Result<undefined> = ok(undefined);
const DECLINED: Result<boolean> = ok(false);
const NONE: Result<number> = ok(0);

/**
 * Phase 1's cache: stores nothing, so every get is a miss and behaviour is unchanged.
 * Wrapped in `InstrumentedCache`, it records what a real cache would be asked.
 */
export class NullCache implements Cache {
  readonly impl = 'null';
  async get<T>(_key: string): Promise<Result<T | undefined>> {
    return MISS;
  }
  async set<T>(_key: string, _value: T): Promise<Result<boolean>> {
    return DECLINED;
  }
  async del(_key: string): Promise<Result<boolean>> {
    return DECLINED;
  }
  async invalidateTag(_tag: string): Promise<Result<number>> {
    return NONE;
  }
  async close(): Promise<void> {}
}
