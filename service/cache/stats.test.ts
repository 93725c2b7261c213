import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../metrics/names.ts';
import { createMetrics } from '../metrics/registry.ts';
import { InstrumentedCache } from './instrumented.ts';
import { KeyPatternExtractor } from './key-pattern.ts';
import { MemoryCache } from './memory-cache.ts';
import { NullCache } from './null-cache.ts';
import { CacheError, fail } from './result.ts';
import { CacheStats } from './stats.ts';

describe('CacheStats reads the metric cells (one count per operation)', () => {
  it('sums every implementation of a pattern, once per implementation, across instances', async () => {
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    const deps = { metrics, patterns: new KeyPatternExtractor(), stats: new CacheStats() };
    // Two instances over the same implementation name share the metric cells (as after a
    // swap from memory to memory): their operations must not be counted twice.
    const first = new InstrumentedCache(new MemoryCache(), deps);
    const second = new InstrumentedCache(new MemoryCache(), deps);
    const observeOnly = new InstrumentedCache(new NullCache(), deps);
    await first.set('user:1', { id: 1 }, { ttlMs: 60_000 });
    await first.get('user:1'); // hit
    await second.get('user:1'); // miss (another store)
    await second.del('user:1');
    await observeOnly.get('user:2'); // miss
    await observeOnly.get('sheet:1'); // miss
    const user = deps.stats.snapshot().find((p) => p.pattern === 'user');
    expect(user).toEqual({
      pattern: 'user',
      hits: 1,
      misses: 2,
      sets: 1,
      dels: 1,
      errors: 0,
      hitRatio: 1 / 3,
    });
    const misses = await metrics.registry.getSingleMetric(METRICS.cacheMisses.name)?.get();
    const userMisses = (misses?.values ?? [])
      .filter((s) => s.labels.key_pattern === 'user')
      .reduce((n, s) => n + s.value, 0);
    expect(userMisses).toBe(user?.misses);
    expect(deps.stats.snapshot().map((p) => p.pattern)).toEqual(['user', 'sheet']);
  });

  it('counts errors by pattern, tag patterns of failed invalidations included', async () => {
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    const deps = { metrics, patterns: new KeyPatternExtractor(), stats: new CacheStats() };
    const failing = new InstrumentedCache(
      {
        impl: 'broken',
        get: async () => fail(new CacheError('timeout', 'slow')),
        set: async () => fail(new CacheError('oom', 'full')),
        del: async () => fail(new CacheError('connection', 'gone')),
        invalidateTag: async () => fail(new CacheError('connection', 'gone')),
        close: async () => {},
      },
      deps,
    );
    await failing.get('user:1');
    await failing.set('user:1', 1, { ttlMs: 1 });
    await failing.del('user:1');
    await failing.invalidateTag('team:7');
    expect(deps.stats.snapshot()).toEqual([
      { pattern: 'user', hits: 0, misses: 0, sets: 1, dels: 1, errors: 3, hitRatio: null },
      { pattern: 'team', hits: 0, misses: 0, sets: 0, dels: 0, errors: 1, hitRatio: null },
    ]);
  });
});
