/**
 * What the read-through stores under a key: the value, the wall-clock time it stops being
 * fresh and how long the source took to produce it (XFetch's delta). The physical TTL of
 * the entry is the fresh TTL plus grace, so a stale copy stays readable through grace.
 * Wall-clock ms, because replicas share entries through Redis.
 */
export interface FreshEntry<T = unknown> {
  /** Marker: an object from the cache with this key set to 1 is an entry. */
  readonly $fe: 1;
  readonly v: T;
  /** Fresh until this Date.now() instant. */
  readonly f: number;
  /** Load time of the value, ms. */
  readonly d: number;
}

export function freshEntry<T>(value: T, freshUntilMs: number, loadMs: number): FreshEntry<T> {
  return { $fe: 1, v: value, f: freshUntilMs, d: Math.max(0, Math.round(loadMs)) };
}

/** `x` as an entry, or undefined when it is something else (a value stored by other code). */
export function asFreshEntry<T>(x: unknown): FreshEntry<T> | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const e = x as Partial<FreshEntry<T>>;
  return e.$fe === 1 && typeof e.f === 'number' && typeof e.d === 'number' && 'v' in e
    ? (e as FreshEntry<T>)
    : undefined;
}

/** Whether `x` is an entry past its fresh time (a cache hit that is logically a miss). */
export function isStaleEntry(x: unknown, nowMs: number): boolean {
  const e = asFreshEntry(x);
  return e !== undefined && nowMs >= e.f;
}

/** Remaining fresh time of an entry value at `nowMs`, for a value about to be stored; undefined for others. */
export function freshTtlOf(x: unknown, nowMs: number): number | undefined {
  const e = asFreshEntry(x);
  return e === undefined ? undefined : Math.max(1, e.f - nowMs);
}
