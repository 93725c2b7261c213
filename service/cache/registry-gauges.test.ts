import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../metrics/registry.ts';
import type { CacheSize } from './cache.ts';
import { KeyPatternExtractor } from './key-pattern.ts';
import { MemoryCache } from './memory-cache.ts';
import { NullCache } from './null-cache.ts';
import type { RedisSizeSnapshot } from './redis-size.ts';
import { CacheRegistry } from './registry.ts';
import { CacheStats } from './stats.ts';

/** Every sample of the size gauges, as `name{labels} value` lines. */
async function sizeGauges(metrics: Metrics): Promise<string[]> {
  const out: string[] = [];
  for (const g of [
    metrics.cacheEntries,
    metrics.cacheSizeBytes,
    metrics.redisUp,
    metrics.redisMemoryUsed,
    metrics.redisMemoryMax,
    metrics.redisDbKeys,
    metrics.redisPatternKeys,
    metrics.redisPatternMemory,
  ]) {
    const { name, values } = await g.get();
    for (const v of values) out.push(`${name}${JSON.stringify(v.labels)} ${v.value}`);
  }
  return out;
}

/** A Redis-backed implementation as the registry sees it: `size()` only. */
class FakeRedis extends NullCache {
  override readonly impl = 'null';
  snapshot: RedisSizeSnapshot | undefined;
  async size(): Promise<CacheSize> {
    return { redis: { snapshot: this.snapshot } };
  }
}

const SNAPSHOT: RedisSizeSnapshot = {
  up: true,
  at: 0,
  usedMemoryBytes: 1000,
  maxMemoryBytes: 4000,
  dbKeys: { db0: 3 },
  patterns: new Map([['user', { keys: 3, bytes: 300 }]]),
  complete: true,
};

/** The Redis gauges once removed (prom-client reads a reset unlabelled gauge as 0). */
const NO_REDIS = ['redis_up{} 0', 'redis_memory_used_bytes{} 0', 'redis_memory_max_bytes{} 0'];

function setup() {
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  const registry = new CacheRegistry({
    metrics,
    patterns: new KeyPatternExtractor(),
    stats: new CacheStats(),
    // A value policy adds the ValidatingCache wrapper: size() must pass through it.
    values: { schemaFor: () => undefined },
  });
  return { metrics, registry };
}

describe('RegistryGauges: size gauges from Cache.size() through the wrappers', () => {
  it('MemoryCache: cache_entries and cache_size_bytes; the Redis gauges removed', async () => {
    const { metrics, registry } = setup();
    const memory = new MemoryCache();
    await registry.swap(memory);
    await registry.set('user:1', { id: 1 }, { ttlMs: 60_000 });
    await registry.refreshGauges();
    expect(await sizeGauges(metrics)).toEqual([
      `cache_entries{"impl":"memory"} 1`,
      `cache_size_bytes{"impl":"memory"} ${memory.bytes}`,
      ...NO_REDIS,
    ]);
  });

  it('Redis-backed: the snapshot; before a first reading the gauges keep their values; without Redis they go', async () => {
    const { metrics, registry } = setup();
    const redis = new FakeRedis();
    await registry.swap(redis);
    redis.snapshot = SNAPSHOT;
    await registry.refreshGauges();
    const published = [
      'redis_up{} 1',
      'redis_memory_used_bytes{} 1000',
      'redis_memory_max_bytes{} 4000',
      'redis_db_keys{"db":"db0"} 3',
      'cache_redis_keys{"key_pattern":"user"} 3',
      'cache_redis_memory_bytes{"key_pattern":"user"} 300',
    ];
    expect(await sizeGauges(metrics)).toEqual(published);
    redis.snapshot = undefined;
    await registry.refreshGauges();
    expect(await sizeGauges(metrics)).toEqual(published);
    await registry.swap(new NullCache());
    await registry.refreshGauges();
    expect(await sizeGauges(metrics)).toEqual(NO_REDIS);
  });
});
