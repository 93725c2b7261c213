import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { seriesValue } from '../../test/helpers/metrics-reader.ts';
import { METRICS } from '../metrics/names.ts';
import { createMetrics } from '../metrics/registry.ts';
import type { BreakerView } from './breaker-view.ts';
import type { Cache } from './cache.ts';
import { KeyPatternExtractor } from './key-pattern.ts';
import { MemoryCache } from './memory-cache.ts';
import { NullCache } from './null-cache.ts';
import { CacheRegistry } from './registry.ts';
import { CacheStats } from './stats.ts';

function registry(opts: Partial<ConstructorParameters<typeof CacheRegistry>[0]> = {}) {
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  const reg = new CacheRegistry({
    metrics,
    patterns: new KeyPatternExtractor(),
    stats: new CacheStats(),
    ...opts,
  });
  return { metrics, reg };
}

/** A cache whose operations take a few ms, so swaps land while they are in flight. */
class SlowMemory extends MemoryCache {
  closed = false;
  override async get<T>(key: string) {
    await new Promise((r) => setTimeout(r, Math.random() * 3));
    if (this.closed) throw new Error('used after close');
    return super.get<T>(key);
  }
  override async close() {
    this.closed = true;
    await super.close();
  }
}

describe('CacheRegistry hot swap', () => {
  it('2,000 concurrent operations across 6 swaps: zero failures, old impls closed after draining', async () => {
    const { reg } = registry();
    const made: SlowMemory[] = [];
    const ops: Promise<boolean>[] = [];
    const swaps: Promise<Cache>[] = [];
    for (let i = 0; i < 2_000; i++) {
      const key = `user:${i % 50}`;
      ops.push(
        i % 3 === 0
          ? reg.set(key, i, { ttlMs: 60_000 }).then((r) => r.ok)
          : reg.get(key).then((r) => r.ok),
      );
      if (i % 300 === 150) {
        const next = i % 600 === 150 ? new SlowMemory() : new NullCache();
        if (next instanceof SlowMemory) made.push(next);
        swaps.push(reg.swap(next));
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    const results = await Promise.all(ops);
    await Promise.all(swaps);
    expect(results.filter((ok) => !ok)).toHaveLength(0);
    expect(swaps).toHaveLength(7);
    expect(reg.status().swaps).toBe(7);
    expect(made.filter((m) => m.closed).length).toBe(made.length - (reg.impl === 'memory' ? 1 : 0));
  });

  it('publishes cache_enabled per impl across a swap', async () => {
    const { reg, metrics } = registry();
    const name = METRICS.cacheEnabled.name;
    expect(await seriesValue(metrics.registry, name, { impl: 'null' })).toBe(1);
    await reg.swap(new MemoryCache());
    expect(await seriesValue(metrics.registry, name, { impl: 'null' })).toBe(0);
    expect(await seriesValue(metrics.registry, name, { impl: 'memory' })).toBe(1);
    reg.setEnabled(false);
    expect(await seriesValue(metrics.registry, name, { impl: 'memory' })).toBe(0);
  });
});

describe('CacheRegistry FEATURE_CACHE and whitelist', () => {
  it('disabled: nothing cached, no cache metric recorded', async () => {
    const { reg, metrics } = registry({ enabled: false, initial: new MemoryCache() });
    await reg.set('user:1', 1, { ttlMs: 60_000 });
    expect(await reg.get('user:1')).toEqual({ ok: true, value: undefined });
    expect(
      await seriesValue(metrics.registry, METRICS.cacheMisses.name, {
        impl: 'null',
        key_pattern: 'user',
      }),
    ).toBe(0);
    expect(
      await seriesValue(metrics.registry, METRICS.cacheSets.name, {
        impl: 'memory',
        key_pattern: 'user',
      }),
    ).toBe(0);
  });

  it('whitelist: only listed patterns reach the implementation, others are observed only', async () => {
    const { reg, metrics } = registry({ initial: new MemoryCache(), whitelist: ['sheet'] });
    await reg.set('sheet:1', 's', { ttlMs: 60_000 });
    await reg.set('user:1', 'u', { ttlMs: 60_000 });
    expect(await reg.get('sheet:1')).toEqual({ ok: true, value: 's' });
    expect(await reg.get('user:1')).toEqual({ ok: true, value: undefined });
    expect(
      await seriesValue(metrics.registry, METRICS.cacheMisses.name, {
        impl: 'null',
        key_pattern: 'user',
      }),
    ).toBe(1);
    expect(
      await seriesValue(metrics.registry, METRICS.patternEnabled.name, { key_pattern: 'sheet' }),
    ).toBe(1);
    reg.setWhitelist(['sheet', 'user']);
    await reg.set('user:1', 'u', { ttlMs: 60_000 });
    expect(await reg.get('user:1')).toEqual({ ok: true, value: 'u' });
    expect(
      await seriesValue(metrics.registry, METRICS.patternEnabled.name, { key_pattern: 'user' }),
    ).toBe(1);
    reg.setWhitelist(['user']);
    expect(
      await seriesValue(metrics.registry, METRICS.patternEnabled.name, { key_pattern: 'sheet' }),
    ).toBe(0);
  });
});

describe('CacheRegistry value checks and breaker access', () => {
  it('a rejected value is an error (not a hit), deleted; the breaker is read through the wrappers', async () => {
    const inner = new MemoryCache({ maxEntries: 10, maxBytes: 1 << 20 });
    const { metrics, reg } = registry({
      initial: inner,
      values: { schemaFor: () => ({ version: 1, check: (v) => (v === 'ok' ? undefined : 'bad') }) },
    });
    await reg.set('k:1', 'ok', { ttlMs: 60_000 });
    expect(await reg.get('k:1')).toEqual({ ok: true, value: 'ok' });
    await inner.set('k:2', { v: 1, d: 'nope' }, { ttlMs: 60_000 });
    const r = await reg.get('k:2');
    expect(r.ok ? 'ok' : r.error.type).toBe('serialization');
    expect(await inner.get('k:2')).toEqual({ ok: true, value: undefined });
    const labels = { impl: 'memory', key_pattern: 'k' };
    expect(await seriesValue(metrics.registry, METRICS.cacheHits.name, labels)).toBe(1);
    expect(
      await seriesValue(metrics.registry, METRICS.cacheErrors.name, {
        impl: 'memory',
        error_type: 'serialization',
      }),
    ).toBe(1);
    expect(reg.breaker).toBeUndefined(); // memory has no breaker
    const breaker: BreakerView = {
      state: 'open',
      lastErrorType: 'auth',
      consecutiveFailures: 5,
      refused: 0,
      msSinceLastFailure: 1,
    };
    await reg.swap(Object.assign(new NullCache(), { breaker }));
    expect(reg.breaker).toBe(breaker);
  });
});

describe('CacheRegistry sizing with the value envelope', () => {
  it('the estimator sizes values as stored (envelope included), cached or observe-only', async () => {
    const sized: Record<string, number> = {};
    const observer = {
      onGet() {},
      onDel() {},
      onSet(_p: string, key: string, bytes: number | (() => number)) {
        sized[key] = typeof bytes === 'function' ? bytes() : bytes;
      },
    };
    const inner = new MemoryCache({ maxEntries: 10, maxBytes: 1 << 20 });
    const { reg } = registry({
      initial: inner,
      observer,
      whitelist: ['user'],
      values: {
        schemaFor: (p) => (p === 'user' ? { version: 12, check: () => undefined } : undefined),
      },
    });
    const value = { id: 1, name: 'Ann' };
    await reg.set('user:1', value, { ttlMs: 60_000 });
    await reg.set('sheet:1', value, { ttlMs: 60_000 }); // observe-only (not whitelisted)
    const stored = await inner.get('user:1');
    expect(sized['user:1']).toBe(JSON.stringify(stored.ok && stored.value).length);
    expect(sized['user:1']).toBe(JSON.stringify({ v: 12, d: value }).length);
    expect(sized['sheet:1']).toBe(JSON.stringify({ v: 0, d: value }).length);
  });
});
