import type { CacheRegistry } from '../cache/registry.ts';
import type { Variant } from '../metrics/names.ts';
import type { Metrics } from '../metrics/registry.ts';
import type { SingleFlight } from './single-flight.ts';

/** What `readThrough` needs. */
export interface ReadThroughDeps {
  readonly cache: CacheRegistry;
  readonly metrics: Metrics;
  readonly flights: SingleFlight;
  /** TTL of every cached value. */
  readonly ttlMs: number;
  /** Bumped by every write; a load that overlapped a write is not cached (no stale set). */
  readonly writes: { generation: number };
}

/** One cache-aside read. */
export interface ReadRequest<T> {
  readonly key: string;
  readonly pattern: string;
  readonly tags: readonly string[];
  readonly variant: Variant;
  readonly load: () => Promise<T | undefined>;
}

/**
 * Cache-aside through the registry: a hit answers from the cache; a miss, a cache error
 * or the A/B control group loads from the source (concurrent misses of one key share one
 * load) and the result is stored. A cache failure never fails the read: the registry
 * returns it as a Result, counted in `cache_errors_total`, and the source answers.
 */
export async function readThrough<T>(
  d: ReadThroughDeps,
  r: ReadRequest<T>,
): Promise<T | undefined> {
  if (r.variant !== 'off' && d.cache.serves(r.pattern)) {
    d.metrics.abRequests.inc({ variant: r.variant, key_pattern: r.pattern });
  }
  if (r.variant === 'control') return r.load();
  const cached = await d.cache.get<T>(r.key);
  if (cached.ok && cached.value !== undefined) return cached.value;
  return d.flights.do(r.key, async () => {
    const generation = d.writes.generation;
    const value = await r.load();
    if (value !== undefined && generation === d.writes.generation) {
      await d.cache.set(r.key, value, { ttlMs: d.ttlMs, tags: r.tags });
    }
    return value;
  });
}
