import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('defaults to port 8900, cache observation off, NullCache', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 8900,
      FEATURE_CACHE: false,
      CACHE_IMPL: 'null',
      CACHE_KEY_PATTERN_LIMIT: 50,
      NODE_ENV: 'development',
    });
    expect(c.REDIS_KEY_PREFIX).toBe('metasheet:development:');
  });

  it('parses valid values', () => {
    const c = loadConfig({
      PORT: '9000',
      FEATURE_CACHE: 'TRUE',
      CACHE_IMPL: 'memory',
      CACHE_PATTERNS: 'sheet, user',
      ESTIMATOR_SIZES_ENTRIES: '10,100',
    });
    expect(c).toMatchObject({
      PORT: 9000,
      FEATURE_CACHE: true,
      CACHE_IMPL: 'memory',
      CACHE_PATTERNS: ['sheet', 'user'],
      ESTIMATOR_SIZES_ENTRIES: [10, 100],
    });
  });

  const bad: Record<string, string> = {
    PORT: '80a',
    FEATURE_CACHE: 'yes please',
    CACHE_IMPL: 'memcached',
    NODE_ENV: 'prod',
    CACHE_KEY_PATTERN_LIMIT: '0',
    CACHE_PATTERNS: 'Sheet,user!',
    CACHE_AB_CONTROL_PERCENT: '101',
    REDIS_URL: 'http://localhost:6379',
    ESTIMATOR_SIZES_ENTRIES: '10,-1',
    SOURCE_LATENCY_SCALE: 'slow',
    ESTIMATOR_MAX_BYTES_PER_PATTERN: '20000',
    CACHE_GRACE_SECONDS: '-5',
    CACHE_SOFT_TIMEOUT_MS: '1.5',
    CACHE_EARLY_REFRESH_BETA: 'high',
    CACHE_LOCK: 'sometimes',
    CACHE_LOCK_TTL_MS: '5',
    SOURCE_TIMEOUT_MS: '0',
    SOURCE_ERROR_RATE: '1.5',
    SOURCE_EXTRA_LATENCY_MS: '-1',
    SOURCE_OUTAGE_SECONDS: 'forever',
  };
  for (const [name, value] of Object.entries(bad)) {
    it(`rejects ${name}=${value}, naming the variable`, () => {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`\\b${name}\\b`));
    });
  }

  it('parses grace, early refresh, lock and source fault settings (all off by default)', () => {
    expect(loadConfig({})).toMatchObject({
      CACHE_GRACE_SECONDS: 0,
      CACHE_EARLY_REFRESH_BETA: 0,
      CACHE_LOCK: false,
      SOURCE_ERROR_RATE: 0,
      SOURCE_EXTRA_LATENCY_MS: 0,
      SOURCE_OUTAGE_SECONDS: 0,
    });
    const c = loadConfig({
      CACHE_IMPL: 'redis',
      CACHE_GRACE_SECONDS: '600',
      CACHE_EARLY_REFRESH_BETA: '1.5',
      CACHE_LOCK: 'true',
      SOURCE_ERROR_RATE: '0.25',
      SOURCE_OUTAGE_START_SECONDS: '20',
      SOURCE_OUTAGE_SECONDS: '30',
    });
    expect(c).toMatchObject({
      CACHE_GRACE_SECONDS: 600,
      CACHE_EARLY_REFRESH_BETA: 1.5,
      CACHE_LOCK: true,
      SOURCE_ERROR_RATE: 0.25,
      SOURCE_OUTAGE_START_SECONDS: 20,
      SOURCE_OUTAGE_SECONDS: 30,
    });
  });

  it('rejects CACHE_LOCK without CACHE_IMPL=redis, naming both', () => {
    expect(() => loadConfig({ CACHE_LOCK: 'true', CACHE_IMPL: 'memory' })).toThrow(
      /CACHE_LOCK=true needs CACHE_IMPL=redis/,
    );
  });

  it('reports every bad variable at once', () => {
    try {
      loadConfig({ PORT: 'x', CACHE_IMPL: 'y' });
      expect.unreachable();
    } catch (e) {
      expect((e as ConfigError).problems).toHaveLength(2);
    }
  });
});

describe('.env.example', () => {
  it('documents every variable loadConfig reads, with a value loadConfig accepts', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const entries = text
      .split('\n')
      .filter((l) => /^[A-Z][A-Z0-9_]*=/.test(l))
      .map((l) => l.split('=', 2) as [string, string]);
    expect(entries.map(([k]) => k).sort()).toEqual([...CONFIG_VARIABLES].sort());
    expect(() => loadConfig(Object.fromEntries(entries))).not.toThrow();
  });
});
