import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadStats, runLoad } from '../scripts/loadgen/run-load.ts';
import { type ConfigFile, sample, tempConfigFile, waitUntil } from './helpers/config-file.ts';
import { connectRedis, deletePrefix, keysUnder, REDIS_URL, uniquePrefix } from './helpers/redis.ts';
import { type ServiceProcess, startService } from './helpers/service-process.ts';

const RATE = 250;
const VISIBLE_WITHIN_MS = 5_000;

interface Internal {
  enabled: boolean;
  impl: string;
  whitelist: string[] | null;
  abControlPercent: number;
  ttlMs: number;
  config: { applied: { REDIS_TIMEOUT_MS: number } };
}

/** One file change and how to see it in /internal/cache and in /metrics/prom. */
interface Step {
  readonly name: string;
  readonly file: Record<string, string>;
  readonly internal: (s: Internal) => boolean;
  readonly prom: (text: string) => boolean;
}

const base = { FEATURE_CACHE: 'true', CACHE_IMPL: 'memory' };
const on = (text: string, impl: string) => sample(text, `cache_enabled{impl="${impl}"}`) === 1;
const off = (text: string, impl: string) => sample(text, `cache_enabled{impl="${impl}"}`) === 0;
const whitelisted = (text: string, patterns: string[]) =>
  patterns.every((p) => sample(text, `cache_pattern_enabled{key_pattern="${p}"}`) === 1) &&
  (text.match(/^cache_pattern_enabled\{/gm) ?? []).length === patterns.length;

// Ten changes: whitelist, memory <-> redis, the flag off and on, A/B percent and TTL.
const STEPS: readonly Step[] = [
  {
    name: 'whitelist user',
    file: { ...base, CACHE_PATTERNS: 'user' },
    internal: (s) => s.whitelist?.join() === 'user',
    prom: (t) => whitelisted(t, ['user']),
  },
  {
    name: 'memory -> redis',
    file: { ...base, CACHE_PATTERNS: 'user', CACHE_IMPL: 'redis' },
    internal: (s) => s.impl === 'redis' && s.enabled,
    prom: (t) => on(t, 'redis') && off(t, 'memory'),
  },
  {
    name: 'FEATURE_CACHE off',
    file: { ...base, CACHE_PATTERNS: 'user', CACHE_IMPL: 'redis', FEATURE_CACHE: 'false' },
    internal: (s) => !s.enabled,
    prom: (t) => off(t, 'redis'),
  },
  {
    name: 'FEATURE_CACHE on',
    file: { ...base, CACHE_PATTERNS: 'user', CACHE_IMPL: 'redis' },
    internal: (s) => s.enabled && s.impl === 'redis',
    prom: (t) => on(t, 'redis'),
  },
  {
    name: 'redis -> memory',
    file: { ...base, CACHE_PATTERNS: 'user' },
    internal: (s) => s.impl === 'memory',
    prom: (t) => on(t, 'memory') && off(t, 'redis'),
  },
  {
    name: 'whitelist sheet,user',
    file: { ...base, CACHE_PATTERNS: 'sheet,user' },
    internal: (s) => s.whitelist?.slice().sort().join() === 'sheet,user',
    prom: (t) => whitelisted(t, ['sheet', 'user']),
  },
  {
    name: 'memory -> redis with A/B 10%, Redis timeout 150 ms',
    file: {
      ...base,
      CACHE_PATTERNS: 'sheet,user',
      CACHE_IMPL: 'redis',
      CACHE_AB_CONTROL_PERCENT: '10',
      REDIS_TIMEOUT_MS: '150',
    },
    internal: (s) =>
      s.impl === 'redis' && s.abControlPercent === 10 && s.config.applied.REDIS_TIMEOUT_MS === 150,
    prom: (t) => on(t, 'redis') && off(t, 'memory'),
  },
  {
    name: 'FEATURE_CACHE off again',
    file: { ...base, CACHE_PATTERNS: 'sheet,user', CACHE_IMPL: 'redis', FEATURE_CACHE: 'false' },
    internal: (s) => !s.enabled,
    prom: (t) => off(t, 'redis'),
  },
  {
    name: 'on, every pattern (whitelist unset)',
    file: { ...base, CACHE_IMPL: 'redis' },
    internal: (s) => s.enabled && s.whitelist === null,
    prom: (t) => on(t, 'redis') && whitelisted(t, []),
  },
  {
    name: 'redis -> memory, TTL 60 s',
    file: { ...base, CACHE_TTL_SECONDS: '60' },
    internal: (s) => s.impl === 'memory' && s.ttlMs === 60_000,
    prom: (t) => on(t, 'memory') && off(t, 'redis'),
  },
];

describe(`hot reload under load (${RATE} req/s, real service, real Redis)`, () => {
  const prefix = uniquePrefix('reload-load');
  let redis: Awaited<ReturnType<typeof connectRedis>>;
  let svc: ServiceProcess | undefined;
  let file: ConfigFile | undefined;

  beforeAll(async () => {
    redis = await connectRedis();
  });
  afterAll(async () => {
    await svc?.stop(10_000);
    file?.remove();
    await deletePrefix(redis, prefix);
    redis.destroy();
  });

  it('applies 10 file changes, each visible in /internal/cache and /metrics/prom within 5 s, with 0 failed requests', async () => {
    file = tempConfigFile(base);
    svc = await startService({
      CACHE_CONFIG_FILE: file.path,
      CACHE_CONFIG_POLL_MS: '250',
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      REDIS_TIMEOUT_MS: '200',
      SOURCE_LATENCY_SCALE: '0.1',
    });
    const s = svc;
    const stop = new AbortController();
    const load: Promise<LoadStats> = runLoad({
      url: s.url,
      durationMs: 120_000,
      rate: RATE,
      signal: stop.signal,
    });
    const seenMs: Record<string, number> = {};
    const writtenAt: string[] = [];
    let redisKeysSeen = 0;
    try {
      // Warm up (JIT, first source loads) so the first change is not measured on a cold process.
      await new Promise((r) => setTimeout(r, 3_000));
      for (const [i, step] of STEPS.entries()) {
        file.write(step.file);
        writtenAt.push(new Date().toISOString());
        seenMs[step.name] = await waitUntil(
          async () => {
            const st = (await (await fetch(`${s.url}/internal/cache`)).json()) as Internal;
            const text = await (await fetch(`${s.url}/metrics/prom`)).text();
            return (
              step.internal(st) &&
              step.prom(text) &&
              sample(text, 'cache_config_reloads_total{result="success"}') === i + 1
            );
          },
          VISIBLE_WITHIN_MS,
          `step ${i + 1} (${step.name})`,
        );
        // Let traffic run under each configuration.
        await new Promise((r) => setTimeout(r, 800));
        if (step.file.CACHE_IMPL === 'redis')
          redisKeysSeen = Math.max(redisKeysSeen, (await keysUnder(redis, prefix)).length);
      }
    } finally {
      stop.abort();
    }
    const stats = await load;
    const rate = (stats.sent / stats.elapsedMs) * 1000;
    console.log(
      `reload under load: ${stats.sent} requests at ${rate.toFixed(0)} req/s, ok ${stats.ok}, ` +
        `failed ${stats.failed}, skipped ${stats.skipped}; ms until visible per step: ${JSON.stringify(seenMs)}`,
    );
    const appliedAt = [
      ...s.output().matchAll(/"time":"([^"]+)","level":"info","msg":"configuration reloaded"/g),
    ].map((m) => m[1]);
    console.log(`file written at ${writtenAt.join(' ')}\nreload logged at ${appliedAt.join(' ')}`);
    expect(stats.failed).toBe(0);
    expect(stats.skipped).toBe(0);
    expect(rate).toBeGreaterThanOrEqual(200);
    expect(Object.keys(seenMs)).toHaveLength(10);
    // A check that started in time but answered late does not count: the whole round trip.
    for (const [name, ms] of Object.entries(seenMs))
      expect(ms, name).toBeLessThanOrEqual(VISIBLE_WITHIN_MS);
    // Redis really served while it was the implementation.
    expect(redisKeysSeen).toBeGreaterThan(0);
    expect(s.output()).not.toMatch(/"level":"error"/);
  });
});
