import { describe, expect, it } from 'vitest';
import {
  CONFIG_VARIABLES,
  ConfigError,
  loadConfig,
  MAX_ESTIMATOR_SIZES,
  parseConfigFile,
  RUNTIME_VARIABLES,
} from './config.ts';
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

  it('bounds ESTIMATOR_SIZES_* (each size is a series per pattern): 16 pass, 17 and 5,000 fail', () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1)).join(',');
    for (const name of ['ESTIMATOR_SIZES_ENTRIES', 'ESTIMATOR_SIZES_BYTES']) {
      expect(
        loadConfig({ [name]: list(MAX_ESTIMATOR_SIZES) })[name as 'ESTIMATOR_SIZES_BYTES'],
      ).toHaveLength(16);
      for (const n of [MAX_ESTIMATOR_SIZES + 1, 5_000]) {
        expect(() => loadConfig({ [name]: list(n) })).toThrow(
          new RegExp(`${name} must list at most 16 sizes .*got ${n}`),
        );
      }
      // The 5,000-size value is not echoed whole.
      try {
        loadConfig({ [name]: list(5_000) });
      } catch (e) {
        expect((e as Error).message.length).toBeLessThan(400);
      }
    }
  });

  it('parses REDIS_URL fully and never echoes its credentials', () => {
    const ok = [
      'redis://127.0.0.1:6379',
      'rediss://user:p%40ss@cache.internal:6380/2',
      'redis://:pw@[::1]:6379/0',
      'redis://localhost',
    ];
    for (const url of ok) expect(loadConfig({ REDIS_URL: url }).REDIS_URL).toBe(url);
    const bad: [string, RegExp][] = [
      ['redis://:topsecret@127.0.0.1:99999', /not a valid URL/],
      ['redis://:topsecret@127.0.0.1:0', /port outside 1-65535/],
      ['redis://:topsecret@127.0.0.1:6379/db', /database number/],
      ['redis://:topsecret@127.0.0.1:6379?x=1', /query or fragment/],
      ['redis://:top%zzsecret@127.0.0.1:6379', /percent-encoding/],
      ['redis://:topsecret@', /not a valid URL|no host/],
      ['memcached://:topsecret@h:1', /redis:\/\/ or rediss:\/\//],
    ];
    for (const [url, why] of bad) {
      let message = '';
      try {
        loadConfig({ REDIS_URL: url });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        message = (e as Error).message;
      }
      expect(message).toMatch(/\bREDIS_URL\b/);
      expect(message).toMatch(why);
      expect(message).not.toContain('secret');
    }
  });

  it('scrubs a password pasted into another variable from config errors', () => {
    expect(() =>
      loadConfig({ REDIS_URL: 'redis://:hunter22@h:6379', CACHE_IMPL: 'hunter22' }),
    ).toThrow(/CACHE_IMPL must be one of null, memory, redis \(got "\*\*\*"\)/);
  });

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

describe('typos and unsafe values that used to pass silently', () => {
  it.each([' ', ',', 'sheet,,user', 'sheet, ,user', 'user,'])(
    'rejects CACHE_PATTERNS=%j (empty entry), naming the variable',
    (value) => {
      expect(() => loadConfig({ CACHE_PATTERNS: value })).toThrow(
        /CACHE_PATTERNS has an empty entry/,
      );
    },
  );

  it('keeps CACHE_PATTERNS unset (every pattern) for an empty string, as for every variable', () => {
    expect(loadConfig({ CACHE_PATTERNS: '' }).CACHE_PATTERNS).toBeUndefined();
  });

  it('rejects SHUTDOWN_TIMEOUT_MS=0 (it would cut every request at once instead of draining)', () => {
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '0' })).toThrow(
      /SHUTDOWN_TIMEOUT_MS must be an integer from 1 to 600000/,
    );
    expect(loadConfig({ SHUTDOWN_TIMEOUT_MS: '1' }).SHUTDOWN_TIMEOUT_MS).toBe(1);
  });
});

describe('CACHE_CONFIG_FILE: parseConfigFile + loadConfig(env, file)', () => {
  it('reads KEY=VALUE lines, skips comments and blank lines, keeps = inside values', () => {
    const vars = parseConfigFile(
      '# runtime\n\nFEATURE_CACHE=true\r\n CACHE_PATTERNS = sheet,user \nREDIS_URL=redis://h:1/0?a=b\n',
    );
    expect(vars).toEqual({
      FEATURE_CACHE: 'true',
      CACHE_PATTERNS: 'sheet,user',
      REDIS_URL: 'redis://h:1/0?a=b',
    });
  });

  it('names unknown variables and lines that are not KEY=VALUE', () => {
    expect(() => parseConfigFile('FEATURE_CAHCE=true\nnonsense\n')).toThrow(ConfigError);
    try {
      parseConfigFile('FEATURE_CAHCE=true\nnonsense\nCACHE_CONFIG_FILE=/x\n');
    } catch (e) {
      expect((e as ConfigError).problems).toEqual([
        'FEATURE_CAHCE (CACHE_CONFIG_FILE line 1) is not a variable the service reads',
        'CACHE_CONFIG_FILE line 2 is not KEY=VALUE',
        'CACHE_CONFIG_FILE (CACHE_CONFIG_FILE line 3) is not a variable the service reads',
      ]);
    }
  });

  it('file values override the environment and go through the same validator', () => {
    const env = { FEATURE_CACHE: 'false', CACHE_IMPL: 'memory', CACHE_PATTERNS: 'sheet' };
    const c = loadConfig(env, { FEATURE_CACHE: 'true', CACHE_PATTERNS: '' });
    expect(c).toMatchObject({ FEATURE_CACHE: true, CACHE_IMPL: 'memory' });
    expect(c.CACHE_PATTERNS).toBeUndefined(); // empty in the file unsets the env value
    expect(() => loadConfig(env, { CACHE_AB_CONTROL_PERCENT: '101' })).toThrow(
      /CACHE_AB_CONTROL_PERCENT/,
    );
  });

  it('lists the run-time variables, all of them real variables', () => {
    for (const v of RUNTIME_VARIABLES) expect(CONFIG_VARIABLES).toContain(v);
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
    [
      { CACHE_IMPL: 'redis', CACHE_LOCK: 'true', REDIS_SENTINELS: 's:1', REDIS_SENTINEL_NAME: 'm' },
      /CACHE_LOCK=true is not supported with REDIS_SENTINELS/,
    ],
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

  it('keeps REDIS_PASSWORD out of errors about other variables (pasted there by mistake)', () => {
    const secret = 'pasted-pw-123';
    const env = { REDIS_PASSWORD: secret, REDIS_TIMEOUT_MS: secret };
    expect(() => loadConfig(env)).toThrow(/REDIS_TIMEOUT_MS/);
    try {
      loadConfig(env);
    } catch (e) {
      expect((e as ConfigError).message).not.toContain(secret);
    }
  });

  it('shows a bad cluster seed list with each URL redacted, and scrubs it from the message', () => {
    const secret = 'seed-pw-456';
    try {
      loadConfig({ REDIS_CLUSTER_NODES: `redis://:${secret}@a:1,ftp://b:2` });
      expect.unreachable('should be rejected');
    } catch (e) {
      const msg = (e as ConfigError).message;
      expect(msg).toContain('redis://***@a:1');
      expect(msg).not.toContain(secret);
    }
  });
});
