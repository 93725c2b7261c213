import { Registry } from 'prom-client';
import { describe, expect } from 'vitest';
import { counters, knownSequence, storingExpectation } from '../../test/helpers/known-sequence.ts';
import { REDIS_URL } from '../../test/helpers/redis.ts';
import { it } from '../../test/helpers/redis-fixture.ts';
import { createMetrics } from '../metrics/registry.ts';
import { InstrumentedCache } from './instrumented.ts';
import { KeyPatternExtractor } from './key-pattern.ts';
import { RedisCache } from './redis-cache.ts';
import { CacheStats } from './stats.ts';

describe('InstrumentedCache metric exactness: RedisCache (real Redis)', () => {
  it('records exactly what MemoryCache records, labelled impl=redis', async ({ prefix }) => {
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
