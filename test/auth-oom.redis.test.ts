import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../service/app.ts';
import { buildDeps } from '../service/build.ts';
import { RedisCache } from '../service/cache/redis-cache.ts';
import { loadConfig } from '../service/config.ts';
import type { Logger } from '../service/logger.ts';
import { METRICS } from '../service/metrics/names.ts';
import { seriesValue } from './helpers/metrics-reader.ts';
import { connectRedis, uniquePrefix } from './helpers/redis.ts';
import { type OwnRedis, startRedis } from './helpers/redis-server.ts';

// This file's own redis-servers (free ports): their configuration changes.
const PASSWORD = 'right-password-1';

function captureLogger() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) =>
      lines.push({ level, msg, fields });
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
  return { lines, logger };
}

/** The production wiring (buildDeps: breaker gauge, logging) over the given Redis URL. */
function service(url: string) {
  const { lines, logger } = captureLogger();
  const config = loadConfig({
    NODE_ENV: 'test',
    FEATURE_CACHE: 'true',
    CACHE_IMPL: 'redis',
    REDIS_URL: url,
    REDIS_KEY_PREFIX: uniquePrefix('auth-oom'),
    REDIS_TIMEOUT_MS: '500',
    SOURCE_LATENCY_SCALE: '0',
  });
  const deps = buildDeps(config, logger);
  const metric = (m: { name: string }, labels: Record<string, string>) =>
    seriesValue(deps.metrics.registry, m.name, labels);
  return { app: createApp(deps), deps, lines, metric };
}

async function until(what: string, ok: () => Promise<boolean> | boolean, withinMs = 10_000) {
  const deadline = Date.now() + withinMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('auth failures open the breaker (own redis-server with requirepass)', () => {
  let redis: OwnRedis;
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    redis = await startRedis([], { password: PASSWORD });
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await redis?.stop();
  });

  it('wrong password: auth errors, circuit opens (gauge 1), requests 200, one log line per change', async () => {
    const s = service(redis.urlWith('not-the-password'));
    closers.push(() => s.deps.cache.close());
    // The client's handshake fails first (before it, ops could only say `connection`).
    await until('the WRONGPASS handshake', () =>
      s.lines.some((l) => /WRONGPASS/.test(String(l.fields.err))),
    );
    // ~3 s of traffic through an outage that never ends.
    const started = Date.now();
    let i = 0;
    while (Date.now() - started < 3_000) {
      const res = await request(s.app).get(`/api/users/${(i++ % 50) + 1}`);
      expect(res.status).toBe(200);
      expect(res.body.id).toBeGreaterThan(0);
      await sleep(20);
    }
    const redisErrors = (type: string) =>
      s.metric(METRICS.cacheErrors, { impl: 'redis', error_type: type });
    expect(await s.metric(METRICS.circuitOpen, { impl: 'redis' })).toBe(1);
    // What /health reads, through the registry.
    expect(s.deps.cache.breaker?.state).not.toBe('closed');
    expect(s.deps.cache.breaker?.lastErrorType).toBe('auth');
    expect(await redisErrors('auth')).toBeGreaterThanOrEqual(5);
    expect(await redisErrors('internal')).toBe(0);
    expect(await redisErrors('connection')).toBe(0);
    expect(await redisErrors('circuit_open')).toBeGreaterThan(0);
    // 3 s of outage with a 1 s cool-down: 1 breaker line, not one per transition.
    const breakerLines = s.lines.filter((l) => l.msg.startsWith('redis circuit'));
    expect(breakerLines.map((l) => [l.msg, l.fields.lastErrorType])).toEqual([
      ['redis circuit open: cache bypassed, requests use the source', 'auth'],
    ]);
    expect(s.lines.length, JSON.stringify(s.lines)).toBeLessThanOrEqual(4);
  });

  it('no password at all (NOAUTH on every command): auth, breaker opens', async () => {
    const cache = new RedisCache({
      url: redis.urlWith(),
      keyPrefix: uniquePrefix('noauth'),
      timeoutMs: 500,
    });
    closers.push(() => cache.close());
    expect((await cache.ready()).ok).toBe(true); // connects: the server only refuses commands
    const types: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await cache.get(`user:${i}`);
      types.push(r.ok ? 'ok' : r.error.type);
    }
    expect(types).toEqual([
      'auth',
      'auth',
      'auth',
      'auth',
      'auth',
      ...Array(3).fill('circuit_open'),
    ]);
    expect(cache.breaker.state).toBe('open');
    expect(cache.breaker.lastErrorType).toBe('auth');
    expect(cache.status.lastErrorType).toBe('auth');
  });

  it('password rotated on the server: auth, open; rotated back: the breaker closes by itself', async () => {
    const admin = await connectRedis(redis.url);
    const states: string[] = [];
    const cache = new RedisCache({
      url: redis.url,
      keyPrefix: uniquePrefix('rotation'),
      timeoutMs: 500,
      breaker: { failureThreshold: 5, cooldownMs: 200 },
    });
    closers.push(() => cache.close());
    cache.onBreakerStateChange((st) => states.push(st));
    try {
      expect((await cache.ready()).ok).toBe(true);
      expect(await cache.set('user:1', { a: 1 }, { ttlMs: 60_000 })).toEqual({
        ok: true,
        value: true,
      });
      await admin.configSet('requirepass', 'rotated-password-2');
      await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']);
      await until('the breaker to open', async () => {
        await cache.get('user:1');
        return cache.breaker.state !== 'closed';
      });
      expect(cache.breaker.lastErrorType).toBe('auth');
      await admin.configSet('requirepass', PASSWORD);
      await until('the breaker to close', () => cache.breaker.state === 'closed');
      expect(await cache.get('user:1')).toEqual({ ok: true, value: { a: 1 } });
      expect(states[0]).toBe('open');
      expect(states.at(-1)).toBe('closed');
    } finally {
      await admin.configSet('requirepass', PASSWORD).catch(() => {});
      admin.destroy();
    }
  });
});

describe('OOM (own redis-server, maxmemory 2mb, noeviction)', () => {
  let redis: OwnRedis;
  beforeAll(async () => {
    redis = await startRedis(['--maxmemory', '2mb', '--maxmemory-policy', 'noeviction']);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('sets refused as oom (counted), requests 200, reads keep hitting, breaker stays closed', async () => {
    const s = service(redis.urlWith());
    const admin = await connectRedis(redis.urlWith());
    try {
      await until('redis ready', async () => (await request(s.app).get('/metrics/prom')).ok);
      // One value cached while there is room.
      expect((await request(s.app).get('/api/users/1')).status).toBe(200);
      await until('user:1 cached', async () => {
        await request(s.app).get('/api/users/1');
        return (await s.metric(METRICS.cacheHits, { impl: 'redis', key_pattern: 'user' })) > 0;
      });
      const hitsBefore = await s.metric(METRICS.cacheHits, { impl: 'redis', key_pattern: 'user' });
      // Fill Redis to maxmemory with junk (a script would only be checked once, at its start).
      let full = false;
      for (let batch = 0; batch < 1_000 && !full; batch++) {
        const writes = await Promise.allSettled(
          Array.from({ length: 50 }, (_, j) => admin.set(`junk:${batch}:${j}`, 'x'.repeat(1000))),
        );
        full = writes.some(
          (w) => w.status === 'rejected' && /^OOM /.test(String(w.reason?.message)),
        );
      }
      expect(full).toBe(true);
      // Memory falls back under the limit as the fill's client buffers are freed, which
      // would let a few sets through: keep Redis well over maxmemory for the test.
      const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
      await admin.configSet('maxmemory', String(Math.floor(used / 2)));

      for (let id = 2; id <= 21; id++) {
        const res = await request(s.app).get(`/api/users/${id}`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ id, name: `User ${id}`, email: `user${id}@metasheet.example` });
      }
      expect(await s.metric(METRICS.cacheErrors, { impl: 'redis', error_type: 'oom' })).toBe(20);
      expect(await s.metric(METRICS.cacheErrors, { impl: 'redis', error_type: 'internal' })).toBe(
        0,
      );
      // Reads still work under OOM, so the breaker must not throw them away.
      expect((await request(s.app).get('/api/users/1')).status).toBe(200);
      expect(await s.metric(METRICS.cacheHits, { impl: 'redis', key_pattern: 'user' })).toBe(
        hitsBefore + 1,
      );
      expect(await s.metric(METRICS.circuitOpen, { impl: 'redis' })).toBe(0);
      const oomLines = s.lines.filter((l) => l.fields.errorType === 'oom');
      expect(oomLines).toHaveLength(1); // 20 refusals, one line
      expect(String(oomLines[0]?.fields.err)).toMatch(/^OOM /);
    } finally {
      admin.destroy();
      await s.deps.cache.close();
    }
  });
});
