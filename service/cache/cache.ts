import type { Result } from './result.ts';

/** Options of `Cache.set`. */
export interface SetOptions {
  /** Time to live in milliseconds. Required: nothing is cached forever. */
  readonly ttlMs: number;
  /** Tags for group invalidation (`invalidateTag`), e.g. `sheet:42`. @default [] */
  readonly tags?: readonly string[];
}

/**
 * The cache contract. Every operation resolves (never rejects) to a `Result`:
 * `{ ok: false, error }` means the cache could not answer and the caller must use the
 * source of truth. Values are JSON-serialisable.
 */
export interface Cache {
  /** Implementation name, the `impl` metric label: `null`, `memory`, `redis`, ... */
  readonly impl: string;
  /** `ok(value)` on a hit, `ok(undefined)` on a miss (absent or expired). */
  get<T = unknown>(key: string): Promise<Result<T | undefined>>;
  /** Stores `value` under `key` for `opts.ttlMs`; `ok(true)` when stored, `ok(false)` when declined (e.g. NullCache). */
  set<T = unknown>(key: string, value: T, opts: SetOptions): Promise<Result<boolean>>;
  /** Removes `key`; `ok(true)` when something was removed. */
  del(key: string): Promise<Result<boolean>>;
  /** Removes every key stored with `tag`; `ok(n)` with the number removed. */
  invalidateTag(tag: string): Promise<Result<number>>;
  /** Releases connections and timers. Safe to call twice. */
  close(): Promise<void>;
}
