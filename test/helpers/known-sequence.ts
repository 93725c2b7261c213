import type { Cache } from '../../service/cache/cache.ts';
import { METRICS } from '../../service/metrics/names.ts';
import type { Metrics } from '../../service/metrics/registry.ts';
import { samples } from './metrics-reader.ts';

/**
 * A known sequence: 2 sets, 3 gets of set keys, 2 gets of absent keys, 1 del, 1 invalidation.
 * (RedisCache namespaces keys with its own prefix, so the same keys serve every run.)
 */
export async function knownSequence(c: Cache) {
  await c.set('user:1', { id: 1 }, { ttlMs: 60_000, tags: ['sheet:1'] });
  await c.set('sheet:1', { id: 1 }, { ttlMs: 60_000, tags: ['sheet:1'] });
  await c.get('user:1');
  await c.get('user:1');
  await c.get('sheet:1');
  await c.get('user:2');
  await c.get('sheet:2:rows:1');
  await c.del('user:1');
  await c.invalidateTag('sheet:1');
}

/** All non-zero series of the cache counters, as `name{labels} value` lines, sorted. */
export async function counters(m: Metrics): Promise<string[]> {
  const out: string[] = [];
  for (const def of [
    METRICS.cacheHits,
    METRICS.cacheMisses,
    METRICS.cacheSets,
    METRICS.cacheDels,
    METRICS.cacheErrors,
    METRICS.cacheInvalidations,
  ]) {
    for (const s of (await samples(m.registry, def.name)).filter((x) => x.value !== 0)) {
      const labels = Object.entries(s.labels)
        .sort()
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      out.push(`${def.name}{${labels}} ${s.value}`);
    }
  }
  return out.sort();
}

/** What `knownSequence` must record on an implementation that stores. */
export function storingExpectation(impl: string): string[] {
  return [
    `cache_del_total{impl=${impl},key_pattern=user} 1`,
    `cache_hits_total{impl=${impl},key_pattern=sheet} 1`,
    `cache_hits_total{impl=${impl},key_pattern=user} 2`,
    `cache_invalidate_total{impl=${impl},tag=sheet} 1`,
    `cache_miss_total{impl=${impl},key_pattern=sheet} 1`,
    `cache_miss_total{impl=${impl},key_pattern=user} 1`,
    `cache_set_total{impl=${impl},key_pattern=sheet} 1`,
    `cache_set_total{impl=${impl},key_pattern=user} 1`,
  ];
}
