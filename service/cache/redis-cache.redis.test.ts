import net from 'node:net';
import { afterEach, describe, expect } from 'vitest';
import { connectRedis, keysUnder, REDIS_URL } from '../../test/helpers/redis.ts';
import { it } from '../../test/helpers/redis-fixture.ts';
import { RedisCache, type RedisCacheOptions } from './redis-cache.ts';

const caches: RedisCache[] = [];

async function open(prefix: string, opts: Partial<RedisCacheOptions> = {}): Promise<RedisCache> {
  const cache = new RedisCache({ url: REDIS_URL, keyPrefix: prefix, timeoutMs: 500, ...opts });
  caches.push(cache);
  if (opts.url === undefined) {
    const ready = await cache.ready();
    if (!ready.ok) throw ready.error;
  }
  return cache;
}

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const addr = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
});

describe('RedisCache on real Redis', () => {
  it('stores JSON under <prefix>v:<key> with the TTL stretched by at most the jitter', async ({
    admin,
    prefix,
  }) => {
    const cache = await open(prefix, { ttlJitterRatio: 0.1, random: () => 0.999 });
    expect(await cache.set('user:1', { a: 1 }, { ttlMs: 10_000 })).toEqual({
      ok: true,
      value: true,
    });
    expect(await admin.get(`${prefix}v:user:1`)).toBe('{"a":1}');
    const pttl = await admin.pTTL(`${prefix}v:user:1`);
    expect(pttl).toBeGreaterThan(10_500);
    expect(pttl).toBeLessThanOrEqual(10_999);
    const noJitter = await open(prefix, { ttlJitterRatio: 0.1, random: () => 0 });
    await noJitter.set('user:2', 2, { ttlMs: 10_000 });
    expect(await admin.pTTL(`${prefix}v:user:2`)).toBeLessThanOrEqual(10_000);
  });

  it('spreads TTLs with the real random source', async ({ admin, prefix }) => {
    const cache = await open(prefix);
    for (let i = 0; i < 20; i++) await cache.set(`spread:${i}`, i, { ttlMs: 100_000 });
    const ttls = await Promise.all(
      Array.from({ length: 20 }, (_, i) => admin.pTTL(`${prefix}v:spread:${i}`)),
    );
    expect(Math.min(...ttls)).toBeGreaterThan(99_000);
    expect(Math.max(...ttls)).toBeLessThanOrEqual(110_000);
    expect(new Set(ttls.map((t) => Math.round(t / 100))).size).toBeGreaterThan(5);
  });

  it('keeps tags as Redis sets that expire with their longest-lived member', async ({
    admin,
    prefix,
  }) => {
    const cache = await open(prefix, { ttlJitterRatio: 0 });
    await cache.set('sheet:5', 's', { ttlMs: 20_000, tags: ['sheet:5'] });
    await cache.set('rows:5', 'r', { ttlMs: 60_000, tags: ['sheet:5'] });
    await cache.set('rows:5b', 'r', { ttlMs: 1_000, tags: ['sheet:5'] });
    expect((await admin.sMembers(`${prefix}t:sheet:5`)).sort()).toEqual([
      `${prefix}v:rows:5`,
      `${prefix}v:rows:5b`,
      `${prefix}v:sheet:5`,
    ]);
    const tagTtl = await admin.pTTL(`${prefix}t:sheet:5`);
    expect(tagTtl).toBeGreaterThan(59_000);
    expect(tagTtl).toBeLessThanOrEqual(60_000);
  });

  it('invalidates a tag atomically: a concurrent reader never sees it half done', async ({
    admin,
    prefix,
  }) => {
    const cache = await open(prefix);
    const n = 5_000;
    const keys = Array.from({ length: n }, (_, i) => `atomic:${i}`);
    for (let i = 0; i < n; i += 500) {
      const batch = keys.slice(i, i + 500);
      const stored = await Promise.all(
        batch.map((key) => cache.set(key, 1, { ttlMs: 60_000, tags: ['atomic'] })),
      );
      expect(stored.every((r) => r.ok)).toBe(true);
    }
    const watched = [keys[0], keys[n / 2], keys[n - 1]].map((key) => `${prefix}v:${key}`);
    const reader = await connectRedis();
    const seen = new Set<string>();
    let stop = false;
    const reading = (async () => {
      while (!stop) {
        const vals = await reader.mGet(watched);
        seen.add(vals.map((v) => (v === null ? '-' : '+')).join(''));
      }
    })();
    await new Promise((r) => setTimeout(r, 20));
    const removed = await cache.invalidateTag('atomic');
    await new Promise((r) => setTimeout(r, 20));
    stop = true;
    await reading;
    reader.destroy();
    expect(removed).toEqual({ ok: true, value: n });
    expect([...seen].sort()).toEqual(['+++', '---']);
    expect(await keysUnder(admin, `${prefix}v:atomic:`)).toEqual([]);
    expect(await admin.exists(`${prefix}t:atomic`)).toBe(0);
  });

  it('invalidateTagKeys names the keys the tag held, without the prefix', async ({ prefix }) => {
    const cache = await open(prefix);
    await cache.set('rows:3', 1, { ttlMs: 60_000, tags: ['sheet:3'] });
    await cache.set('comments:3', 2, { ttlMs: 60_000, tags: ['sheet:3', 'other'] });
    const r = await cache.invalidateTagKeys('sheet:3');
    expect(r.ok && { ...r.value, keys: [...r.value.keys].sort() }).toEqual({
      removed: 2,
      keys: ['comments:3', 'rows:3'],
    });
    expect(await cache.invalidateTagKeys('sheet:3')).toEqual({
      ok: true,
      value: { removed: 0, keys: [] },
    });
  });

  it('declines a value over maxValueBytes (counted in UTF-8 bytes) and drops the old value', async ({
    admin,
    prefix,
  }) => {
    const cache = await open(prefix, { maxValueBytes: 100 });
    const fits = 'x'.repeat(98); // JSON adds the two quotes: exactly 100 bytes
    expect(await cache.set('rows:1', fits, { ttlMs: 60_000 })).toEqual({ ok: true, value: true });
    const tooBig = 'é'.repeat(50); // 50 chars, 100 bytes + quotes = 102 bytes
    const r = await cache.set('rows:1', tooBig, { ttlMs: 60_000 });
    expect(r.ok ? 'stored' : r.error.type).toBe('value_too_large');
    expect(await cache.get('rows:1')).toEqual({ ok: true, value: undefined });
    expect(await admin.exists(`${prefix}v:rows:1`)).toBe(0);
  });

  it('batches concurrent gets into MGETs and hands each caller its own value', async ({
    prefix,
  }) => {
    const cache = await open(prefix, { maxGetBatch: 64 });
    await Promise.all(
      Array.from({ length: 300 }, (_, i) => cache.set(`batch:${i}`, { i }, { ttlMs: 60_000 })),
    );
    const monitor = await connectRedis();
    const commands: string[] = [];
    await monitor.monitor((line) => {
      if (line.includes(`${prefix}v:batch:`)) commands.push(line.split('"')[1] ?? '');
    });
    const got = await Promise.all(
      Array.from({ length: 400 }, (_, i) => cache.get<{ i: number }>(`batch:${i}`)),
    );
    await new Promise((r) => setTimeout(r, 50));
    monitor.destroy();
    for (const [i, r] of got.entries()) {
      expect(r).toEqual({ ok: true, value: i < 300 ? { i } : undefined });
    }
    // 400 gets in one turn, at most 64 per MGET: 7 commands, no single GETs.
    expect(commands.filter((c) => c.toUpperCase() === 'MGET')).toHaveLength(7);
    expect(commands.filter((c) => c.toUpperCase() === 'GET')).toHaveLength(0);
    expect(await cache.get('batch:1')).toEqual({ ok: true, value: { i: 1 } });
  });

  it('maps a corrupt stored value to a serialization error', async ({ admin, prefix }) => {
    const cache = await open(prefix);
    await admin.set(`${prefix}v:corrupt`, '{not json', { PX: 60_000 });
    const r = await cache.get('corrupt');
    expect(r.ok ? 'ok' : r.error.type).toBe('serialization');
    expect(cache.breakerState).toBe('closed');
  });

  it('rejects a non-positive TTL as an error Result instead of caching forever', async ({
    admin,
    prefix,
  }) => {
    const cache = await open(prefix);
    const r = await cache.set('forever', 1, { ttlMs: 0 });
    expect(r.ok ? 'ok' : r.error.type).toBe('internal');
    expect(await admin.exists(`${prefix}v:forever`)).toBe(0);
  });

  it('survives SCRIPT FLUSH (EVALSHA falls back to EVAL)', async ({ admin, prefix }) => {
    const cache = await open(prefix);
    await admin.scriptFlush();
    expect(await cache.set('flush:1', 1, { ttlMs: 60_000, tags: ['flush'] })).toEqual({
      ok: true,
      value: true,
    });
    await admin.scriptFlush();
    expect(await cache.invalidateTag('flush')).toEqual({ ok: true, value: 1 });
  });

  it('with Redis unreachable at start: no crash, no hang, fast connection errors, breaker opens', async ({
    prefix,
  }) => {
    const port = await deadPort();
    const states: string[] = [];
    const cache = await open(prefix, {
      url: `redis://127.0.0.1:${port}`,
      breaker: { failureThreshold: 3, cooldownMs: 60_000 },
    });
    cache.onBreakerStateChange((s) => states.push(s));
    const t0 = performance.now();
    const results = [
      await cache.get('a'),
      await cache.set('a', 1, { ttlMs: 1000 }),
      await cache.del('a'),
      await cache.invalidateTag('t'),
    ];
    // Far below the 500 ms deadline: they failed at once, not by timing out.
    expect(performance.now() - t0).toBeLessThan(200);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.type))).toEqual([
      'connection',
      'connection',
      'connection',
      'circuit_open',
    ]);
    expect(states).toEqual(['open']);
    expect(cache.status.connected).toBe(false);
    const ready = await cache.ready(100);
    expect(ready.ok ? 'ok' : ready.error.type).toBe('connection');
    const t1 = performance.now();
    await cache.close();
    await cache.close();
    expect(performance.now() - t1).toBeLessThan(100);
    const after = await cache.get('a');
    expect(after.ok ? 'ok' : after.error.type).toBe('connection');
  });
});
