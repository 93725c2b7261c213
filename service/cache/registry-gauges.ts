import type { Metrics } from '../metrics/registry.ts';
import type { Cache } from './cache.ts';
import type { KeyPatternExtractor } from './key-pattern.ts';
import type { RedisSizeSnapshot } from './redis-size.ts';

/**
 * The gauges of the cache registry: `cache_enabled`, `cache_pattern_enabled`,
 * `cache_key_pattern_limit`, and at scrape time `cache_key_patterns_tracked` and the size
 * gauges, fed by the active implementation's `Cache.size()`.
 */
export class RegistryGauges {
  constructor(
    private readonly metrics: Metrics,
    private readonly patterns: KeyPatternExtractor,
  ) {
    metrics.keyPatternLimit.set(patterns.limit);
  }

  /** `cache_enabled{impl}`: 1 or 0 for `impl`; a replaced `previousImpl` goes to 0. */
  publishEnabled(impl: string, enabled: boolean, previousImpl?: string): void {
    const g = this.metrics.cacheEnabled;
    if (previousImpl !== undefined && previousImpl !== impl) g.set({ impl: previousImpl }, 0);
    g.set({ impl }, enabled ? 1 : 0);
  }

  /** `cache_pattern_enabled{key_pattern}`: one series per whitelisted pattern. */
  publishWhitelist(before: Iterable<string> | null, after: Iterable<string> | null): void {
    const g = this.metrics.patternEnabled;
    for (const p of before ?? []) g.remove({ key_pattern: p });
    for (const p of after ?? []) g.set({ key_pattern: p }, 1);
  }

  /**
   * Sets the gauges read at scrape time: `cache_key_patterns_tracked`; for an
   * implementation that holds entries in process (MemoryCache) `cache_entries` /
   * `cache_size_bytes`; for one backed by Redis the `redis_*` and `cache_redis_*` gauges
   * (a bounded read of Redis, cached between scrapes; see `RedisSizeProbe`).
   */
  async refresh(active: Cache): Promise<void> {
    const { metrics, patterns } = this;
    metrics.keyPatternsTracked.set(patterns.size);
    const size = (await active.size?.((key) => patterns.classify(key))) ?? {};
    if (size.local) {
      metrics.cacheEntries.set({ impl: active.impl }, size.local.entries);
      metrics.cacheSizeBytes.set({ impl: active.impl }, size.local.bytes);
    }
    if (!size.redis) publishRedisSize(metrics, undefined);
    else if (size.redis.snapshot) publishRedisSize(metrics, size.redis.snapshot);
  }
}

/** Sets the Redis size gauges from a snapshot; without Redis (or while it is down) removes the sizes. */
function publishRedisSize(metrics: Metrics, snap: RedisSizeSnapshot | undefined): void {
  for (const g of [
    metrics.redisMemoryUsed,
    metrics.redisMemoryMax,
    metrics.redisDbKeys,
    metrics.redisPatternKeys,
    metrics.redisPatternMemory,
  ])
    g.reset();
  if (snap === undefined) {
    metrics.redisUp.reset();
    return;
  }
  metrics.redisUp.set(snap.up ? 1 : 0);
  if (!snap.up) return;
  metrics.redisMemoryUsed.set(snap.usedMemoryBytes);
  metrics.redisMemoryMax.set(snap.maxMemoryBytes);
  for (const [db, keys] of Object.entries(snap.dbKeys)) metrics.redisDbKeys.set({ db }, keys);
  for (const [key_pattern, size] of snap.patterns) {
    metrics.redisPatternKeys.set({ key_pattern }, size.keys);
    metrics.redisPatternMemory.set({ key_pattern }, size.bytes);
  }
}
