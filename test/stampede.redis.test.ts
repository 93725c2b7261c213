import { afterEach, describe, expect } from 'vitest';
import { RedisLoadLock } from '../service/cache/redis-lock.ts';
import { type InProcessService, startInProcess } from './helpers/in-process-service.ts';
import { REDIS_URL, type RedisClient } from './helpers/redis.ts';
import { it } from './helpers/redis-fixture.ts';

const running: InProcessService[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

/** Two instances ("replicas") of the real wiring, each with its own source, sharing one Redis. */
async function twoInstances(lock: boolean, keyPrefix: string, extra: Record<string, string> = {}) {
  const env = {
    ...extra,
    FEATURE_CACHE: 'true',
    CACHE_IMPL: 'redis',
    REDIS_KEY_PREFIX: keyPrefix,
    REDIS_TIMEOUT_MS: '1000', // this shared box stalls at times; deadlines are tested elsewhere
    CACHE_TTL_SECONDS: '60', // the reloaded value must outlive the burst
    CACHE_LOCK: String(lock),
    CACHE_LOCK_WAIT_MS: '3000',
    SOURCE_LATENCY_SCALE: '5', // sheet loads take 150-250 ms: both instances miss together
  };
  const pair = await Promise.all([startInProcess(env), startInProcess(env)]);
  running.push(...pair);
  return pair;
}

/** 500 concurrent reads of one key, alternating between the instances; all must succeed. */
async function burst(instances: InProcessService[], path: string): Promise<void> {
  const responses = await Promise.all(
    Array.from({ length: 500 }, (_, i) => fetch(`${instances[i % 2]?.url}${path}`)),
  );
  const statuses = await Promise.all(
    responses.map(async (r) => {
      await r.arrayBuffer();
      return r.status;
    }),
  );
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
}

/** Lets the key expire in 100 ms (its TTL cut short) and waits until Redis no longer holds it. */
async function expireNow(admin: RedisClient, key: string): Promise<void> {
  expect(await admin.pExpire(key, 100)).toBe(1);
  for (let i = 0; i < 200; i++) {
    if ((await admin.exists(key)) === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${key} did not expire within 2 s`);
}

describe('hot key at expiry: 2 instances, one Redis, 500 concurrent requests', () => {
  for (const lock of [true, false]) {
    it(`source loads with the cross-replica lock ${lock ? 'on: ≤ 1 in all' : 'off: ≤ 1 per instance'}`, async ({
      admin,
      prefix,
    }) => {
      const p = `${prefix}${lock ? 'on' : 'off'}:`;
      const [a, b] = await twoInstances(lock, p);
      if (!a || !b) throw new Error('instances did not start');
      const path = '/api/sheets/77';
      expect((await fetch(a.url + path)).status).toBe(200); // a caches it
      expect(a.deps.source.loads.sheet).toBe(1);
      await expireNow(admin, `${p}v:sheet:77`);
      await burst([a, b], path);
      const loadsA = a.deps.source.loads.sheet - 1;
      const loadsB = b.deps.source.loads.sheet;
      console.log(`lock ${lock ? 'on' : 'off'}: source loads after expiry a=${loadsA} b=${loadsB}`);
      if (lock) expect(loadsA + loadsB).toBeLessThanOrEqual(1);
      else {
        expect(loadsA).toBeLessThanOrEqual(1);
        expect(loadsB).toBeLessThanOrEqual(1);
      }
      expect(loadsA + loadsB).toBeGreaterThanOrEqual(1); // it did expire and was loaded again
    });
  }
});

describe('hot key gone stale (in grace), lock on: one replica refreshes, the other waits for it', () => {
  it('500 concurrent requests over 2 instances: exactly 1 source load (the refresh), all 200', async ({
    admin,
    prefix,
  }) => {
    const p = `${prefix}grace:`;
    const [a, b] = await twoInstances(true, p, { CACHE_GRACE_SECONDS: '300' });
    if (!a || !b) throw new Error('instances did not start');
    const path = '/api/sheets/78';
    expect((await fetch(a.url + path)).status).toBe(200);
    // Its fresh time passes (the entry says so), the copy stays in Redis for grace.
    const key = `${p}v:sheet:78`;
    const entry = JSON.parse((await admin.get(key)) ?? 'null') as { f: number };
    entry.f = Date.now() - 1_000;
    await admin.set(key, JSON.stringify(entry), { KEEPTTL: true });
    await burst([a, b], path);
    const loads = a.deps.source.loads.sheet - 1 + b.deps.source.loads.sheet;
    console.log(`lock on, stale in grace: source loads after expiry ${loads}`);
    expect(loads).toBe(1);
  });
});

describe('RedisLoadLock', () => {
  it('one holder at a time; released by its holder only; expires by itself', async ({ prefix }) => {
    const a = new RedisLoadLock({
      url: REDIS_URL,
      keyPrefix: prefix,
      ttlMs: 300,
      timeoutMs: 500,
    });
    const b = new RedisLoadLock({
      url: REDIS_URL,
      keyPrefix: prefix,
      ttlMs: 300,
      timeoutMs: 500,
    });
    try {
      expect(await a.ready()).toBe(true);
      expect(await b.ready()).toBe(true);
      const held = await a.acquire('k1');
      expect(held.state).toBe('acquired');
      expect((await b.acquire('k1')).state).toBe('busy');
      if (held.state === 'acquired') await held.release();
      const next = await b.acquire('k1');
      expect(next.state).toBe('acquired');
      await new Promise((r) => setTimeout(r, 400)); // b's lock expires (PX 300)
      const third = await a.acquire('k1');
      expect(third.state).toBe('acquired');
      if (next.state === 'acquired') await next.release(); // b's token no longer owns it
      expect((await b.acquire('k1')).state).toBe('busy');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('an unreachable lock store is "unavailable" at once, never an error', async ({ prefix }) => {
    const lock = new RedisLoadLock({ url: 'redis://127.0.0.1:7401', keyPrefix: prefix });
    try {
      const t0 = performance.now();
      const r = await lock.acquire('k');
      expect(r.state).toBe('unavailable');
      expect(performance.now() - t0).toBeLessThan(100);
    } finally {
      await lock.close();
    }
  });
});
