/**
 * The Redis size probe against a redis-server of our own (port 7310, this worktree's range):
 * exact counts and MEMORY USAGE per pattern, reuse between scrapes, a bounded SCAN, a
 * stalled Redis (SIGSTOP) and a stopped one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../test/helpers/redis.ts';
import { type OwnRedis, startRedis } from '../../test/helpers/redis-server.ts';
import { RedisCache } from './redis-cache.ts';
import { infoFields, RedisSizeProbe } from './redis-size.ts';

const PORT = 7310;
const PREFIX = 'size-test:';
let redis: OwnRedis;
let admin: Awaited<ReturnType<typeof connectRedis>>;
let cache: RedisCache;
const patternOf = (key: string) => key.slice(0, key.indexOf(':'));
const send = (args: string[]) => admin.sendCommand(args);

beforeAll(async () => {
  redis = await startRedis([], { port: PORT });
  admin = await connectRedis(redis.url);
  cache = new RedisCache({ url: redis.url, keyPrefix: PREFIX, timeoutMs: 1000 });
  expect((await cache.ready(5000)).ok).toBe(true);
  for (let i = 0; i < 300; i++) {
    await cache.set(`user:${i}`, { id: i, name: `user ${i}` }, { ttlMs: 600_000 });
  }
  for (let i = 0; i < 120; i++) {
    const rows = Array.from({ length: 20 }, (_, r) => ({ r, v: `cell ${i}-${r}` }));
    await cache.set(`sheet:${i}`, { id: i, rows }, { ttlMs: 600_000, tags: [`sheet:${i}`] });
  }
  // A foreign prefix in the same database: counted by DBSIZE, never as the cache's.
  for (let i = 0; i < 50; i++) await admin.set(`other-app:${i}`, 'x');
});

afterAll(async () => {
  await cache?.close();
  if (admin?.isOpen) admin.destroy();
  await redis?.stop();
});

/** Exact MEMORY USAGE of every key of the cache under `PREFIX<kind>:<pattern>:`. */
async function exactBytes(pattern: string): Promise<number> {
  let total = 0;
  for (const kind of ['v', 't']) {
    for await (const keys of admin.scanIterator({ MATCH: `${PREFIX}${kind}:${pattern}:*` })) {
      for (const k of keys)
        total += Number(await admin.sendCommand(['MEMORY', 'USAGE', k, 'SAMPLES', '0']));
    }
  }
  return total;
}

describe('RedisSizeProbe on a real Redis', () => {
  it('counts the value keys of each pattern exactly and sizes them within 10% of MEMORY USAGE of every key', async () => {
    const snap = await cache.readSize(patternOf);
    if (!snap?.up) throw new Error('no snapshot');
    expect(snap.complete).toBe(true);
    expect(snap.patterns.get('user')?.keys).toBe(300);
    expect(snap.patterns.get('sheet')?.keys).toBe(120);
    expect([...snap.patterns.keys()].sort()).toEqual(['sheet', 'user']);
    for (const p of ['user', 'sheet']) {
      const exact = await exactBytes(p);
      const got = snap.patterns.get(p)?.bytes ?? 0;
      expect(Math.abs(got - exact) / exact, `${p}: ${got} vs ${exact}`).toBeLessThan(0.1);
    }
    expect(snap.dbKeys.db0).toBe(300 + 120 * 2 + 50);
    const used = Number(infoFields(await admin.info('memory')).used_memory);
    expect(Math.abs(snap.usedMemoryBytes - used) / used).toBeLessThan(0.2);
  });

  it('reuses a snapshot younger than maxAgeMs: one SCAN pass for many scrapes', async () => {
    await admin.sendCommand(['CONFIG', 'RESETSTAT']);
    const probe = new RedisSizeProbe({ send, keyPrefix: PREFIX, maxAgeMs: 60_000 });
    const first = await probe.read(patternOf);
    for (let i = 0; i < 5; i++) expect(await probe.read(patternOf)).toBe(first);
    const stats = infoFields(await admin.info('commandstats'));
    expect(stats.cmdstat_dbsize).toMatch(/^calls=1,/);
  });

  it('a SCAN cut short by the budget scales the counts up by DBSIZE / keys examined', async () => {
    const probe = new RedisSizeProbe({ send, keyPrefix: PREFIX, scanBudget: 200 });
    const snap = await probe.read(patternOf);
    if (!snap?.up) throw new Error('no snapshot');
    expect(snap.complete).toBe(false);
    const users = snap.patterns.get('user')?.keys ?? 0;
    expect(users).toBeGreaterThan(300 * 0.6);
    expect(users).toBeLessThan(300 * 1.4);
  });

  it('a stalled Redis (SIGSTOP) delays a scrape by at most timeoutMs, which then gets the previous snapshot', async () => {
    let now = 0;
    const probe = new RedisSizeProbe({
      send,
      keyPrefix: PREFIX,
      timeoutMs: 200,
      maxAgeMs: 1000,
      now: () => now,
    });
    const first = await probe.read(patternOf);
    now = 5000;
    process.kill(redis.pid, 'SIGSTOP');
    try {
      const started = Date.now();
      expect(await probe.read(patternOf)).toBe(first);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
  });

  it('reports up: false once Redis is gone', async () => {
    const probe = new RedisSizeProbe({ send, keyPrefix: PREFIX, timeoutMs: 2000 });
    await redis.stop();
    const snap = await probe.read(patternOf);
    expect(snap?.up).toBe(false);
  });
});
