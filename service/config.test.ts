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
  };
  for (const [name, value] of Object.entries(bad)) {
    it(`rejects ${name}=${value}, naming the variable`, () => {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`\\b${name}\\b`));
    });
  }

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
