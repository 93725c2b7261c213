import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp } from '../test/helpers/build-test-app.ts';
import { MemoryCache } from './cache/memory-cache.ts';
import { RedisCache } from './cache/redis-cache.ts';

/** A port of this worktree's range (7100-7199) where nothing listens: a Redis that is down. */
const DEAD_REDIS = 'redis://127.0.0.1:7197';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe('degraded signal: /health stays 200 and says ok | degraded | disabled', () => {
  it('ok: cache on, breaker closed, no error', async () => {
    const { app } = buildTestApp({ cache: new MemoryCache() });
    await request(app).get('/api/users/1').expect(200);
    const res = await request(app).get('/health').expect(200);
    expect(res.body.cache).toEqual({
      enabled: true,
      impl: 'memory',
      status: 'ok',
      breaker: 'closed',
      lastError: null,
      unknownPatterns: [],
    });
  });

  it('disabled: FEATURE_CACHE off', async () => {
    const { app } = buildTestApp({ cache: new MemoryCache(), enabled: false });
    const res = await request(app).get('/health').expect(200);
    expect(res.body.cache).toMatchObject({ enabled: false, status: 'disabled' });
  });

  it('degraded: a real RedisCache whose server is down — requests still 200, breaker open, last error named, same in /internal/cache', async () => {
    const redis = new RedisCache({
      url: DEAD_REDIS,
      keyPrefix: 'test:health:',
      timeoutMs: 50,
      connectTimeoutMs: 200,
      breaker: { failureThreshold: 3, cooldownMs: 60_000 },
    });
    closers.push(() => redis.close());
    const { app } = buildTestApp({ cache: redis });
    const before = Date.now();
    for (let id = 1; id <= 5; id++) await request(app).get(`/api/users/${id}`).expect(200);
    const health = (await request(app).get('/health').expect(200)).body;
    expect(health.status).toBe('ok'); // the service is fine; its optional cache is not
    expect(health.cache).toMatchObject({ enabled: true, impl: 'redis', status: 'degraded' });
    expect(health.cache.breaker).toBe('open');
    expect(['connection', 'timeout', 'circuit_open']).toContain(health.cache.lastError.type);
    expect(Date.parse(health.cache.lastError.at)).toBeGreaterThanOrEqual(before - 1);
    const internal = (await request(app).get('/internal/cache').expect(200)).body;
    expect(internal.health).toMatchObject({ status: 'degraded', breaker: 'open' });
  });

  it('unknown whitelisted patterns are listed (typo "users" next to the real "user")', async () => {
    const { app } = buildTestApp({ cache: new MemoryCache(), whitelist: ['users', 'user'] });
    const res = await request(app).get('/health').expect(200);
    expect(res.body.cache.unknownPatterns).toEqual(['users']);
    await request(app).get('/api/users/1').expect(200);
    const internal = (await request(app).get('/internal/cache').expect(200)).body;
    expect(internal.health.unknownPatterns).toEqual(['users']);
  });
});
