import { Registry } from 'prom-client';
import { beforeEach, describe, expect, it } from 'vitest';
import { counters, knownSequence, storingExpectation } from '../../test/helpers/known-sequence.ts';
import { samples } from '../../test/helpers/metrics-reader.ts';
import { METRICS } from '../metrics/names.ts';
import { createMetrics, type Metrics } from '../metrics/registry.ts';
import type { Cache } from './cache.ts';
import { InstrumentedCache } from './instrumented.ts';
import { KeyPatternExtractor } from './key-pattern.ts';
import { MemoryCache } from './memory-cache.ts';
import { NullCache } from './null-cache.ts';
import { CacheError, fail } from './result.ts';
import { CacheStats } from './stats.ts';

describe('InstrumentedCache metric exactness', () => {
  let metrics: Metrics;
  let deps: ConstructorParameters<typeof InstrumentedCache>[1];
  beforeEach(() => {
    metrics = createMetrics(new Registry(), { defaultMetrics: false });
    deps = { metrics, patterns: new KeyPatternExtractor(), stats: new CacheStats() };
  });

  it('NullCache: every get is a miss', async () => {
    await knownSequence(new InstrumentedCache(new NullCache(), deps));
    expect(await counters(metrics)).toEqual([
      'cache_del_total{impl=null,key_pattern=user} 1',
      'cache_invalidate_total{impl=null,tag=sheet} 1',
      'cache_miss_total{impl=null,key_pattern=sheet} 2',
      'cache_miss_total{impl=null,key_pattern=user} 3',
      'cache_set_total{impl=null,key_pattern=sheet} 1',
      'cache_set_total{impl=null,key_pattern=user} 1',
    ]);
  });

  it('MemoryCache: gets of set keys hit', async () => {
    await knownSequence(new InstrumentedCache(new MemoryCache(), deps));
    expect(await counters(metrics)).toEqual(storingExpectation('memory'));
    expect(deps.stats.snapshot().find((p) => p.pattern === 'user')).toMatchObject({
      hits: 2,
      misses: 1,
      hitRatio: 2 / 3,
    });
  });

  it('turns throws, rejections and error results into counted error Results', async () => {
    const broken: Cache = {
      impl: 'broken',
      get: () => {
        throw new Error('sync boom');
      },
      set: async () => Promise.reject(new Error('async boom')),
      del: async () => fail(new CacheError('timeout', 'slow')),
      invalidateTag: async () => fail(new CacheError('connection', 'gone')),
      close: async () => {},
    };
    const c = new InstrumentedCache(broken, deps);
    const results = [
      await c.get('user:1'),
      await c.set('user:1', 1, { ttlMs: 1 }),
      await c.del('user:1'),
      await c.invalidateTag('t:1'),
    ];
    expect(results.map((r) => (r.ok ? 'ok' : r.error.type))).toEqual([
      'internal',
      'internal',
      'timeout',
      'connection',
    ]);
    expect(await counters(metrics)).toContain(
      'cache_errors_total{error_type=internal,impl=broken} 2',
    );
    expect(await counters(metrics)).toContain(
      'cache_errors_total{error_type=timeout,impl=broken} 1',
    );
    expect(await counters(metrics)).toContain(
      'cache_errors_total{error_type=connection,impl=broken} 1',
    );
  });
});

describe('key_pattern cardinality', () => {
  it('100,000 random keys produce at most limit+1 key_pattern values', async () => {
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    const limit = 50;
    const c = new InstrumentedCache(new NullCache(), {
      metrics,
      patterns: new KeyPatternExtractor({ limit }),
      stats: new CacheStats(),
    });
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 100_000; i++) {
      const shape = i % 4;
      const word = Math.floor(rnd() * 1e9).toString(36);
      const key =
        shape === 0
          ? `${word}:${i}`
          : shape === 1
            ? word
            : shape === 2
              ? `:${word}`
              : `${word}!$:${i}`;
      await c.get(key);
    }
    const values = new Set(
      (await samples(metrics.registry, METRICS.cacheMisses.name)).map((s) => s.labels.key_pattern),
    );
    expect(values.size).toBeLessThanOrEqual(limit + 1);
    expect(values.has('other')).toBe(true);
    expect(values.size).toBe(limit + 1); // the limit was actually reached: the test can fail
  });
});
