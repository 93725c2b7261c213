import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config.ts';
import { redisTarget } from './redis-config.ts';

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

describe('loadConfig: Redis Cluster and Sentinel', () => {
  it('REDIS_URL alone is standalone; REDIS_CLUSTER_NODES selects Cluster; REDIS_SENTINELS + NAME Sentinel', () => {
    expect(redisTarget(loadConfig({ REDIS_URL: 'redis://r:6380' }))).toEqual({
      mode: 'standalone',
      url: 'redis://r:6380',
    });
    const cluster = loadConfig({ REDIS_CLUSTER_NODES: 'redis://a:7000, redis://b:7001' });
    expect(redisTarget(cluster)).toEqual({
      mode: 'cluster',
      seeds: ['redis://a:7000', 'redis://b:7001'],
    });
    const sentinel = loadConfig({ REDIS_SENTINELS: 's1:26379,s2:26380', REDIS_SENTINEL_NAME: 'm' });
    expect(redisTarget(sentinel)).toEqual({
      mode: 'sentinel',
      name: 'm',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
    });
  });

  const conflicts: [Record<string, string>, RegExp][] = [
    [
      { REDIS_CLUSTER_NODES: 'redis://a:1', REDIS_SENTINELS: 's:1', REDIS_SENTINEL_NAME: 'm' },
      /REDIS_CLUSTER_NODES.*REDIS_SENTINELS/,
    ],
    [
      { REDIS_URL: 'redis://r:1', REDIS_CLUSTER_NODES: 'redis://a:1' },
      /REDIS_URL conflicts with REDIS_CLUSTER_NODES/,
    ],
    [
      { REDIS_URL: 'redis://r:1', REDIS_SENTINELS: 's:1', REDIS_SENTINEL_NAME: 'm' },
      /REDIS_URL conflicts with REDIS_SENTINELS/,
    ],
    [{ REDIS_SENTINELS: 's:1' }, /REDIS_SENTINEL_NAME must be set/],
    [{ REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINEL_NAME needs REDIS_SENTINELS/],
    [{ REDIS_CLUSTER_NODES: 'http://a:1' }, /REDIS_CLUSTER_NODES must be/],
    [{ REDIS_CLUSTER_NODES: ' , ' }, /REDIS_CLUSTER_NODES must be/],
    [{ REDIS_SENTINELS: 's1', REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINELS must be/],
    [{ REDIS_SENTINELS: 's1:1', REDIS_SENTINEL_NAME: 'bad name' }, /REDIS_SENTINEL_NAME must be/],
  ];
  for (const [env, message] of conflicts) {
    it(`rejects ${JSON.stringify(env)}, naming the variables`, () => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    });
  }

  it('CACHE_L1=true is accepted with a Cluster and with Sentinel (the bus follows the master)', () => {
    for (const env of [
      { REDIS_CLUSTER_NODES: 'redis://a:1' },
      { REDIS_SENTINELS: 's:1', REDIS_SENTINEL_NAME: 'm' },
    ]) {
      expect(loadConfig({ CACHE_IMPL: 'redis', CACHE_L1: 'true', ...env }).CACHE_L1).toBe(true);
    }
  });

  it('never echoes a password, from REDIS_PASSWORD or inside a URL', () => {
    const secret = 's3cr3t-pw';
    const tries = [
      { REDIS_PASSWORD: secret.repeat(100) },
      { REDIS_CLUSTER_NODES: `redis://:${secret}@a:1,http://u:${secret}@b:2` },
      { REDIS_URL: `http://user:${secret}@r:1` },
    ];
    for (const env of tries) {
      try {
        loadConfig(env);
        expect.unreachable(`${Object.keys(env)[0]} should be rejected`);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        expect((e as ConfigError).message).not.toContain(secret);
        expect((e as ConfigError).message).toContain(Object.keys(env)[0]);
      }
    }
    expect(loadConfig({ REDIS_PASSWORD: secret }).REDIS_PASSWORD).toBe(secret);
  });
});
