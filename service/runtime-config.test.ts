import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { API_KEY_PATTERNS } from './api/routes-table.ts';
import { buildDeps } from './build.ts';
import type { Cache } from './cache/cache.ts';
import { KeyPatternExtractor } from './cache/key-pattern.ts';
import { MemoryCache } from './cache/memory-cache.ts';
import { NullCache } from './cache/null-cache.ts';
import { CacheRegistry } from './cache/registry.ts';
import { CacheStats } from './cache/stats.ts';
import { type Config, loadConfig } from './config.ts';
import { silentLogger } from './logger.ts';
import { METRICS } from './metrics/names.ts';
import { createMetrics } from './metrics/registry.ts';
import { RuntimeConfigApplier, runtimeSettings } from './runtime-config.ts';

function setup(start: Record<string, string>, build: (c: Config) => Cache) {
  const config = loadConfig(start);
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  const cache = new CacheRegistry({
    metrics,
    patterns: new KeyPatternExtractor({ known: API_KEY_PATTERNS }),
    stats: new CacheStats(),
    enabled: config.FEATURE_CACHE,
    initial: config.FEATURE_CACHE ? build(config) : new NullCache(),
    whitelist: config.CACHE_PATTERNS ?? null,
  });
  const settings = runtimeSettings(config);
  const built: string[] = [];
  const applier = new RuntimeConfigApplier(
    {
      cache,
      settings,
      build: (c) => {
        built.push(`${c.CACHE_IMPL}/${c.REDIS_TIMEOUT_MS}`);
        return build(c);
      },
      logger: silentLogger,
    },
    config,
  );
  return {
    cache,
    settings,
    built,
    apply: (env: Record<string, string>) => applier.apply(loadConfig(env)),
  };
}

const memory = () => new MemoryCache();

describe('RuntimeConfigApplier', () => {
  it('applies whitelist, TTL and A/B percent without rebuilding the implementation', async () => {
    const s = setup({ FEATURE_CACHE: 'true', CACHE_IMPL: 'memory' }, memory);
    await s.apply({
      FEATURE_CACHE: 'true',
      CACHE_IMPL: 'memory',
      CACHE_PATTERNS: 'user',
      CACHE_TTL_SECONDS: '9',
      CACHE_AB_CONTROL_PERCENT: '25',
    });
    expect(s.built).toEqual([]);
    expect(s.cache.status()).toMatchObject({
      enabled: true,
      impl: 'memory',
      whitelist: ['user'],
      swaps: 0,
    });
    expect(s.settings).toEqual({ ttlMs: 9_000, abControlPercent: 25 });
  });

  it('rebuilds and swaps when CACHE_IMPL or REDIS_TIMEOUT_MS change; off keeps the implementation', async () => {
    const s = setup({ FEATURE_CACHE: 'false', CACHE_IMPL: 'memory' }, memory);
    expect(s.cache.impl).toBe('null'); // started off: NullCache
    await s.apply({ FEATURE_CACHE: 'true', CACHE_IMPL: 'memory' });
    expect([s.cache.impl, s.cache.isEnabled, s.built]).toEqual(['memory', true, ['memory/50']]);
    await s.apply({ FEATURE_CACHE: 'false', CACHE_IMPL: 'memory' });
    await s.apply({ FEATURE_CACHE: 'true', CACHE_IMPL: 'memory' });
    expect(s.built).toEqual(['memory/50']); // off and on again: same instance
    await s.apply({ FEATURE_CACHE: 'true', CACHE_IMPL: 'memory', REDIS_TIMEOUT_MS: '80' });
    expect(s.built).toEqual(['memory/50', 'memory/80']);
    expect(s.cache.status().swaps).toBe(2);
  });

  it('a build that throws changes nothing (flag, whitelist, settings stay)', async () => {
    let fail = false;
    const s = setup(
      { FEATURE_CACHE: 'true', CACHE_IMPL: 'memory', CACHE_PATTERNS: 'sheet' },
      () => {
        if (fail) throw new TypeError('cannot build');
        return new MemoryCache();
      },
    );
    fail = true;
    await expect(
      s.apply({
        FEATURE_CACHE: 'true',
        CACHE_IMPL: 'null',
        CACHE_PATTERNS: 'user',
        CACHE_TTL_SECONDS: '5',
      }),
    ).rejects.toThrow('cannot build');
    expect(s.cache.status()).toMatchObject({ enabled: true, impl: 'memory', whitelist: ['sheet'] });
    expect(s.settings.ttlMs).toBe(300_000);
  });
});

describe('buildDeps without CACHE_CONFIG_FILE', () => {
  it('counts the start as the last good load, so MetasheetCacheConfigReloadFailed stays silent', async () => {
    const before = Date.now() / 1000;
    const { metrics } = buildDeps(loadConfig({}), silentLogger);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(new RegExp(`^${METRICS.configLastReloadSuccessful.name} 1$`, 'm'));
    const at = Number(
      new RegExp(`^${METRICS.configLastReloadSuccessTime.name} (\\S+)$`, 'm').exec(text)?.[1],
    );
    expect(at).toBeGreaterThanOrEqual(Math.floor(before));
  });
});
