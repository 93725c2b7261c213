import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counters, knownSequence, storingExpectation } from '../../test/helpers/known-sequence.ts';
import { connectRedis, deletePrefix, REDIS_URL, uniquePrefix } from '../../test/helpers/redis.ts';
import { createMetrics } from '../metrics/registry.ts';
import { InstrumentedCache } from './instrumented.ts';
import { KeyPatternExtractor } from './key-pattern.ts';
import { RedisCache } from './redis-cache.ts';
import { CacheStats } from './stats.ts';

type Client = Awaited<ReturnType<typeof connectRedis>>;
let admin: Client;
const prefix = uniquePrefix('instrumented');

beforeAll(async () => {
  admin = await connectRedis();
});
afterAll(async () => {
  await deletePrefix(admin, prefix);
  admin.destroy();
});

describe('InstrumentedCache metric exactness: RedisCache (real Redis)', () => {
  it('records exactly what MemoryCache records, labelled impl=redis', async () => {
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    const redis = new RedisCache({ url: REDIS_URL, keyPrefix: prefix, timeoutMs: 1_000 });
    const cache = new InstrumentedCache(redis, {
      metrics,
      patterns: new KeyPatternExtractor(),
      stats: new CacheStats(),
    });
    try {
      expect((await redis.ready()).ok).toBe(true);
      await knownSequence(cache);
      expect(await counters(metrics)).toEqual(storingExpectation('redis'));
    } finally {
      await cache.close();
    }
  });
});
