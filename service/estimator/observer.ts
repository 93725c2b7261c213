/**
 * The hook through which the instrumented cache reports every access to the sizing
 * estimator. Calls are synchronous and must be cheap: the cache calls them on the
 * request path, with the bounded `key_pattern` label it already computed.
 */
export interface AccessObserver {
  /** A `get` of `key` (hit or miss: the estimator models the cache, not the result). */
  onGet(pattern: string, key: string, nowMs: number): void;
  /**
   * A `set` of `key` with a serialised value of `valueBytes` that lives `ttlMs`. Pass a
   * function to size the value lazily: it is called only for sampled keys (≈ 1 % or
   * fewer), which saves serialising every value just to measure it.
   */
  onSet(
    pattern: string,
    key: string,
    valueBytes: number | (() => number),
    ttlMs: number,
    nowMs: number,
    tags?: readonly string[],
  ): void;
  /** A `del` of `key`: the next access to it is a cold miss. */
  onDel(pattern: string, key: string, nowMs: number): void;
  /** An `invalidateTag(tag)`: every key set with `tag` leaves the modelled cache. */
  onInvalidateTag?(tag: string, nowMs: number): void;
}
