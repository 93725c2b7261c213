import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import { connectRedis, REDIS_URL } from '../../test/helpers/redis.ts';
import { it } from '../../test/helpers/redis-fixture.ts';
import { type OwnRedis, startRedis } from '../../test/helpers/redis-server.ts';
import { RedisCache, type RedisCacheOptions } from './redis-cache.ts';
import { SET_MANY } from './redis-scripts.ts';

const caches: RedisCache[] = [];

async function open(prefix: string, opts: Partial<RedisCacheOptions> = {}): Promise<RedisCache> {
  const cache = new RedisCache({ url: REDIS_URL, keyPrefix: prefix, timeoutMs: 1000, ...opts });
  caches.push(cache);
  const ready = await cache.ready();
  if (!ready.ok) throw ready.error;
  return cache;
}

/** The commands (name and first key) Redis ran for keys under `prefix` while `run` ran. */
async function commandsDuring(prefix: string, run: () => Promise<void>): Promise<string[]> {
  const monitor = await connectRedis();
  const seen: string[] = [];
  await monitor.monitor((line) => {
    if (!line.includes(prefix) || line.includes('lua]')) return; // calls from scripts
    const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? '');
    seen.push(`${(args[0] ?? '').toUpperCase()} ${args[1] ?? ''}`);
  });
  await run();
  await new Promise((r) => setTimeout(r, 50));
  monitor.destroy();
  return seen;
}

afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
});

describe('RedisCache batches the sets of one turn (standalone)', () => {
  it('300 concurrent sets: 2 script calls at maxSetBatch 256; values, jittered TTLs and tag sets as one by one', async ({
    admin,
    prefix,
  }) => {
    const cache = await open(prefix, { maxSetBatch: 256 });
    let results: unknown[] = [];
    const commands = await commandsDuring(prefix, async () => {
      results = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          cache.set(
            `batch:${i}`,
            { i },
            { ttlMs: 100_000, ...(i % 3 === 0 ? { tags: [`owner:${i % 2}`, 'all'] } : {}) },
          ),
        ),
      );
    });
    expect(results.every((r) => (r as { ok: boolean }).ok)).toBe(true);
    expect(commands.map((c) => c.split(' ')[0])).toEqual(['EVALSHA', 'EVALSHA']);
    expect(commands[0]).toBe(`EVALSHA ${SET_MANY.sha1}`);
    const values = await admin.mGet(Array.from({ length: 300 }, (_, i) => `${prefix}v:batch:${i}`));
    expect(values).toEqual(Array.from({ length: 300 }, (_, i) => JSON.stringify({ i })));
    const ttls = await Promise.all(
      Array.from({ length: 300 }, (_, i) => admin.pTTL(`${prefix}v:batch:${i}`)),
    );
    expect(Math.min(...ttls)).toBeGreaterThan(99_000);
    expect(Math.max(...ttls)).toBeLessThanOrEqual(110_000);
    expect(new Set(ttls.map((t) => Math.round(t / 100))).size).toBeGreaterThan(20);
    const tagged = Array.from({ length: 100 }, (_, j) => j * 3);
    expect((await admin.sMembers(`${prefix}t:all`)).sort()).toEqual(
      tagged.map((i) => `${prefix}v:batch:${i}`).sort(),
    );
    expect((await admin.sMembers(`${prefix}t:owner:1`)).sort()).toEqual(
      tagged
        .filter((i) => i % 2 === 1)
        .map((i) => `${prefix}v:batch:${i}`)
        .sort(),
    );
    // A tag set lives as long as its longest-lived member.
    const memberTtls = tagged.map((i) => ttls[i] ?? 0);
    expect(await admin.pTTL(`${prefix}t:all`)).toBeGreaterThanOrEqual(
      Math.max(...memberTtls) - 1000,
    );
    expect(await cache.invalidateTag('all')).toEqual({ ok: true, value: 100 });
    expect(await admin.exists(`${prefix}v:batch:0`)).toBe(0);
    expect(await admin.exists(`${prefix}v:batch:1`)).toBe(1);
  });

  it('a write that fails in the batch fails alone, with its own error, counted once per write', async ({
    admin,
    prefix,
  }) => {
    const cache = await open(prefix);
    const opErrors: string[] = [];
    const counting = await open(prefix, { onOpError: (e) => opErrors.push(e.type) });
    await admin.set(`${prefix}t:not-a-set`, 'x');
    for (const c of [cache, counting]) {
      const results = await Promise.all([
        c.set('w:1', 1, { ttlMs: 60_000 }),
        c.set('w:2', 2, { ttlMs: 60_000, tags: ['not-a-set'] }),
        c.set('w:3', 3, { ttlMs: 60_000, tags: ['fine'] }),
        c.set('w:4', 4, { ttlMs: 60_000, tags: ['not-a-set'] }),
      ]);
      expect(results.map((r) => (r.ok ? 'ok' : r.error.type))).toEqual([
        'ok',
        'internal',
        'ok',
        'internal',
      ]);
      expect(results[1]?.ok === false && results[1].error.message).toMatch(/^WRONGTYPE /);
      expect(c.breakerState).toBe('closed');
    }
    expect(opErrors).toEqual(['internal', 'internal']);
    expect(await admin.sMembers(`${prefix}t:fine`)).toEqual([`${prefix}v:w:3`]);
    expect(await admin.get(`${prefix}v:w:1`)).toBe('1');
  });

  it('keeps the order of a turn: a set before a del, a get, an invalidation or close() goes first', async ({
    admin,
    prefix,
  }) => {
    const cache = await open(prefix);
    const [setA, delA] = await Promise.all([
      cache.set('order:a', 'a', { ttlMs: 60_000 }),
      cache.del('order:a'),
    ]);
    expect(setA).toEqual({ ok: true, value: true });
    expect(delA).toEqual({ ok: true, value: true });
    expect(await admin.exists(`${prefix}v:order:a`)).toBe(0);

    const early = cache.get('order:other'); // a batch of gets already waiting in this turn
    const [, getB] = await Promise.all([
      cache.set('order:b', 'b', { ttlMs: 60_000 }),
      cache.get('order:b'),
    ]);
    expect(getB).toEqual({ ok: true, value: 'b' });
    expect(await early).toEqual({ ok: true, value: undefined });

    const [, inv] = await Promise.all([
      cache.set('order:c', 'c', { ttlMs: 60_000, tags: ['order'] }),
      cache.invalidateTag('order'),
    ]);
    expect(inv).toEqual({ ok: true, value: 1 });
    expect(await admin.exists(`${prefix}v:order:c`)).toBe(0);

    const closing = await open(prefix);
    const last = closing.set('order:d', 'd', { ttlMs: 60_000 });
    await closing.close();
    expect(await last).toEqual({ ok: true, value: true });
    expect(await admin.get(`${prefix}v:order:d`)).toBe('"d"');
  });

  it('maxSetBatch 1, or a lone set: one SET (tagged: the tagged-set script) per set, as before batching', async ({
    admin,
    prefix,
  }) => {
    const one = await open(prefix, { maxSetBatch: 1 });
    const batching = await open(prefix);
    const commands = await commandsDuring(prefix, async () => {
      await Promise.all([
        one.set('one:1', 1, { ttlMs: 60_000 }),
        one.set('one:2', 2, { ttlMs: 60_000 }),
      ]);
      await batching.set('lone:1', 1, { ttlMs: 60_000 });
      await batching.set('lone:2', 2, { ttlMs: 60_000, tags: ['lone'] });
    });
    expect(commands.map((c) => c.split(' ')[0])).toEqual(['SET', 'SET', 'SET', 'EVALSHA']);
    expect(commands[3]).not.toContain(SET_MANY.sha1);
    expect(await admin.sMembers(`${prefix}t:lone`)).toEqual([`${prefix}v:lone:2`]);
  });

  it('survives SCRIPT FLUSH in a batch (EVALSHA falls back to EVAL)', async ({ admin, prefix }) => {
    const cache = await open(prefix);
    await admin.scriptFlush();
    const results = await Promise.all(
      [1, 2, 3].map((i) => cache.set(`flushed:${i}`, i, { ttlMs: 60_000, tags: ['flushed'] })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(await cache.invalidateTag('flushed')).toEqual({ ok: true, value: 3 });
  });
});

describe('a batch of sets at maxmemory (own redis-server, noeviction)', () => {
  let redis: OwnRedis | undefined;
  beforeAll(async () => {
    redis = await startRedis(['--maxmemory', '2mb', '--maxmemory-policy', 'noeviction']);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('every write of the batch is refused as oom (each counted), reads still work, breaker closed', async ({
    prefix,
  }) => {
    if (!redis) throw new Error('no redis-server');
    const own = await connectRedis(redis.url);
    const opErrors: string[] = [];
    const cache = new RedisCache({
      url: redis.url,
      keyPrefix: prefix,
      timeoutMs: 1000,
      onOpError: (e) => opErrors.push(e.type),
    });
    caches.push(cache);
    try {
      expect((await cache.ready()).ok).toBe(true);
      expect(await cache.set('kept', 1, { ttlMs: 60_000 })).toEqual({ ok: true, value: true });
      let full = false;
      for (let batch = 0; batch < 1_000 && !full; batch++) {
        const writes = await Promise.allSettled(
          Array.from({ length: 50 }, (_, j) => own.set(`junk:${batch}:${j}`, 'x'.repeat(1000))),
        );
        full = writes.some(
          (w) => w.status === 'rejected' && /^OOM /.test(String(w.reason?.message)),
        );
      }
      expect(full).toBe(true);
      const used = Number(/used_memory:(\d+)/.exec(await own.info('memory'))?.[1]);
      await own.configSet('maxmemory', String(Math.floor(used / 2)));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          cache.set(`refused:${i}`, i, { ttlMs: 60_000, ...(i % 2 ? { tags: ['t'] } : {}) }),
        ),
      );
      expect(results.map((r) => (r.ok ? 'ok' : r.error.type))).toEqual(Array(20).fill('oom'));
      expect(results[0]?.ok === false && results[0].error.message).toMatch(/^OOM /);
      expect(opErrors).toEqual(Array(20).fill('oom'));
      expect(await cache.get('kept')).toEqual({ ok: true, value: 1 });
      expect(cache.breakerState).toBe('closed');
    } finally {
      own.destroy();
    }
  });
});
