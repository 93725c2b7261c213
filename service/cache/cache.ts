import type { BreakerView } from './breaker-view.ts';
import type { RedisSizeSnapshot } from './redis-size.ts';
import type { Result } from './result.ts';

/** Options of `Cache.set`. */
export interface SetOptions {
  /** Time to live in milliseconds. Required: nothing is cached forever. */
  readonly ttlMs: number;
  /** Tags for group invalidation (`invalidateTag`), e.g. `sheet:42`. @default [] */
  readonly tags?: readonly string[];
}

/** What an implementation holds, read at scrape time for the size gauges (never per request). */
export interface CacheSize {
  /** Entries and bytes held in this process (MemoryCache): `cache_entries`, `cache_size_bytes`. */
  readonly local?: { readonly entries: number; readonly bytes: number };
  /**
   * Present on implementations backed by Redis: the latest reading for the `redis_*` and
   * `cache_redis_*` gauges; `snapshot` is `undefined` until a first reading finished (the
   * gauges keep their values). Absent: no Redis, those gauges are removed.
   */
  readonly redis?: { readonly snapshot: RedisSizeSnapshot | undefined };
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
  /**
   * The circuit breaker, on implementations that have one (Redis), for `/health` and
   * `/internal/cache`. Wrappers (instrumentation, validation) show their inner one's.
   */
  readonly breaker?: BreakerView | undefined;
  /**
   * What the implementation holds, for the size gauges at scrape time. Absent: nothing to
   * report (NullCache). Wrappers report their inner one's.
   */
  size?(patternOf: (key: string) => string): Promise<CacheSize>;
}
