import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipfSampler } from '../../scripts/loadgen/zipf.ts';
import { memoryInfo, type OwnRedis, startRedis } from '../../test/helpers/redis-server.ts';
import { InstrumentedCache } from '../cache/instrumented.ts';
import { KeyPatternExtractor } from '../cache/key-pattern.ts';
import { RedisCache } from '../cache/redis-cache.ts';
import { CacheStats } from '../cache/stats.ts';
import { createMetrics } from '../metrics/registry.ts';
import { MrcEstimator } from './estimator.ts';
import { dictBucketBytes } from './redis-memory.ts';
import { seededRandom } from './synthetic-traces.ts';

/**
 * Redis' eviction is what it is: `allkeys-lru` samples 5 keys per eviction (an
 * approximation of LRU) with a 1 s LRU clock, and evicts by `used_memory`. A Zipf trace
 * runs through the instrumented RedisCache on a real `redis-server` whose `maxmemory`
 * holds ~40 % of the keys; the estimator observes the same calls. Redis' measured hit
 * ratio must be within ±0.03 of the estimator's curve at the memory Redis had for data.
 * Paced at 2,000 req/s (20 s): unpaced (3 s), every key had the same LRU clock, eviction was
 * close to random and Redis hit 0.03 less than an LRU — a test artefact, not production.
 */
const PREFIX = 'evict:';
const KEYS = 4_000;
const REQUESTS = 40_000;
/** Paced: Redis' LRU clock ticks once a second, so idle times must span many seconds. */
const RATE = 2_000;
let redis: OwnRedis;

beforeAll(async () => {
  redis = await startRedis(['--maxmemory-policy', 'allkeys-lru', '--maxmemory-samples', '5']);
});
afterAll(async () => {
  await redis?.stop();
});

describe('estimated curve against Redis allkeys-lru under eviction (real redis-server)', () => {
  it('Redis at half the working set hits what the curve says at its data memory, ±0.03', async () => {
    const estimator = new MrcEstimator({ redisLayout: { keyPrefix: PREFIX }, ttlScale: 1.05 });
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    const redisCache = new RedisCache({ url: redis.url, keyPrefix: PREFIX, timeoutMs: 2_000 });
    const ready = await redisCache.ready();
    if (!ready.ok) throw ready.error;
    const cache = new InstrumentedCache(redisCache, {
      metrics,
      patterns: new KeyPatternExtractor({ limit: 10, known: ['sheet'] }),
      stats: new CacheStats(),
      observer: estimator,
    });
    // Warm the server's one-off allocations (scripts, Lua), then read the empty baseline.
    await cache.set('sheet:0', 'x', { ttlMs: 1_000, tags: [] });
    await cache.del('sheet:0');
    const baseline = (await memoryInfo(redis.url)).used_memory ?? 0;
    // A value per key of 200–600 B, the same every time the key is written.
    const value = (id: number) => 'v'.repeat(200 + ((id * 7919) % 400));
    // About 40 % of what the keys take once all were written (≈ 4,000 × ~590 B).
    const dataBudget = 1_000_000;
    const maxmemory = baseline + dataBudget;
    const admin = await import('../../test/helpers/redis.ts').then((m) =>
      m.connectRedis(redis.url),
    );
    await admin.configSet('maxmemory', String(maxmemory));
    const next = zipfSampler(KEYS, 0.9, seededRandom(9));
    let hits = 0;
    const t0 = Date.now();
    for (let i = 0; i < REQUESTS; i++) {
      if (i % 50 === 0) {
        const wait = t0 + (i / RATE) * 1000 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const id = next();
      const key = `sheet:${id}`;
      const r = await cache.get<string>(key);
      if (r.ok && r.value !== undefined) hits++;
      else await cache.set(key, value(id), { ttlMs: 3_600_000, tags: [] });
    }
    const info = await admin.info('stats');
    const evicted = Number(/evicted_keys:(\d+)/.exec(info)?.[1]);
    const keys = await admin.dbSize();
    admin.destroy();
    await redisCache.close();
    const measured = hits / REQUESTS;
    // Memory Redis had for entries: maxmemory less the empty server and its hash tables.
    const dataBytes = maxmemory - baseline - dictBucketBytes(keys);
    const [est] = estimator.estimates();
    const estimated = estimator.hitRatioAtBytes('sheet', dataBytes) ?? Number.NaN;
    const best = est?.cumulative.hits.at(-1) ?? 0;
    console.log(
      `eviction: maxmemory ${maxmemory} (baseline ${baseline}), keys at end ${keys}, evicted ${evicted}; ` +
        `measured ${measured.toFixed(4)}, estimated at ${dataBytes} B ${estimated.toFixed(4)}, unbounded ${(best / REQUESTS).toFixed(4)}`,
    );
    expect(evicted).toBeGreaterThan(1_000);
    expect(Math.abs(measured - estimated)).toBeLessThanOrEqual(0.03);
  }, 120_000);
});
