import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Cache } from './cache.ts';
import { RedisCache, sumSnapshots } from './redis-cache.ts';
import type { RedisSizeSnapshot } from './redis-size.ts';

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const caches: RedisCache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
});

describe('RedisCache on the topology: the aggregate BreakerView (no Redis: a refused port)', () => {
  it('is a closed view before any op, and what Cache.breaker (registry.health, /health) reads', async () => {
    const cache = new RedisCache({
      url: `redis://127.0.0.1:${await closedPort()}`,
      keyPrefix: 't:',
    });
    caches.push(cache);
    const view = (cache as Cache).breaker;
    expect(view).toBeDefined();
    expect(view?.state).toBe('closed');
    expect(view?.lastErrorType).toBeUndefined();
    expect(view?.refused).toBe(0);
  });

  it('opens on connection errors (opensBreaker), keeps lastErrorType, counts refusals', async () => {
    const cache = new RedisCache({
      url: `redis://127.0.0.1:${await closedPort()}`,
      keyPrefix: 't:',
      breaker: { failureThreshold: 3, cooldownMs: 60_000 },
      maxGetBatch: 1,
    });
    caches.push(cache);
    const seen: string[] = [];
    cache.onBreakerStateChange((s) => seen.push(s));
    for (let i = 0; i < 3; i++) {
      const r = await cache.get('k');
      expect(r.ok ? 'ok' : r.error.type).toBe('connection');
    }
    const refused = await cache.get('k');
    expect(refused.ok ? 'ok' : refused.error.type).toBe('circuit_open');
    const view = (cache as Cache).breaker;
    expect(view?.state).toBe('open');
    expect(view?.lastErrorType).toBe('connection');
    expect(view?.consecutiveFailures).toBe(3);
    expect(view?.refused).toBe(1);
    expect(view?.msSinceLastFailure).toBeGreaterThanOrEqual(0);
    expect(cache.breakerState).toBe('open');
    expect(cache.status.lastErrorType).toBe('connection');
    expect(seen).toEqual(['open']);
  });

  it('never shows the password of the URL, nor an extra secret, in status', async () => {
    const port = await closedPort();
    const cache = new RedisCache({
      url: `redis://:url-secret-pw@127.0.0.1:${port}`,
      password: 'pw-from-secret',
      keyPrefix: 't:',
    });
    caches.push(cache);
    cache.noteClientError(new Error(`boom url-secret-pw and pw-from-secret on ${port}`));
    expect(cache.status.lastClientError).toBe(`boom *** and *** on ${port}`);
  });

  it('a WRONGPASS client error makes not-ready ops fail as auth (which opens the breaker)', async () => {
    const cache = new RedisCache({
      url: `redis://127.0.0.1:${await closedPort()}`,
      keyPrefix: 't:',
      breaker: { failureThreshold: 1, cooldownMs: 60_000 },
      maxGetBatch: 1,
    });
    caches.push(cache);
    const { ErrorReply } = await import('redis');
    cache.noteClientError(new ErrorReply('WRONGPASS invalid username-password pair'));
    const r = await cache.get('k');
    expect(r.ok ? 'ok' : r.error.type).toBe('auth');
    expect((cache as Cache).breaker?.state).toBe('open');
    expect((cache as Cache).breaker?.lastErrorType).toBe('auth');
  });
});

describe('sumSnapshots (readSize over the masters of a Cluster)', () => {
  const snap = (used: number, keys: number, complete = true): RedisSizeSnapshot => ({
    up: true,
    at: 1000 + used,
    usedMemoryBytes: used,
    maxMemoryBytes: 100,
    dbKeys: { db0: keys },
    patterns: new Map([['user', { keys, bytes: keys * 10 }]]),
    complete,
  });

  it('adds bytes, keys and maxmemory; complete only when every scan was', () => {
    const sum = sumSnapshots([snap(10, 1), snap(20, 2), snap(30, 3, false)]);
    expect(sum).toEqual({
      up: true,
      at: 1010,
      usedMemoryBytes: 60,
      maxMemoryBytes: 300,
      dbKeys: { db0: 6 },
      patterns: new Map([['user', { keys: 6, bytes: 60 }]]),
      complete: false,
    });
  });

  it('is down when any master did not answer, and passes a single reading through', () => {
    expect(sumSnapshots([snap(10, 1), { up: false, at: 5 }])).toEqual({ up: false, at: 5 });
    const one = snap(10, 1);
    expect(sumSnapshots([one])).toBe(one);
    expect(sumSnapshots([])).toBeUndefined();
    expect(sumSnapshots([undefined])).toBeUndefined();
  });
});
