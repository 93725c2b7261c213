import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeCacheContract } from '../../test/helpers/cache-contract.ts';
import {
  connectRedis,
  deletePrefix,
  REDIS_URL,
  redisAddress,
  uniquePrefix,
} from '../../test/helpers/redis.ts';
import { startTcpProxy, type TcpProxy } from '../../test/helpers/tcp-proxy.ts';
import { RedisInvalidationBus } from './invalidation-bus.ts';
import { L1CoherentCache } from './l1-coherent.ts';
import { RedisCache } from './redis-cache.ts';

const prefix = uniquePrefix('l1');
let admin: Awaited<ReturnType<typeof connectRedis>>;
const open: L1CoherentCache[] = [];
const proxies: TcpProxy[] = [];

/** One "replica": its own RedisCache, bus and L1, sharing prefix and channel with the others. */
async function replica(busUrl = REDIS_URL): Promise<L1CoherentCache> {
  const remote = new RedisCache({ url: REDIS_URL, keyPrefix: prefix, timeoutMs: 500 });
  const bus = new RedisInvalidationBus({
    url: busUrl,
    channel: `${prefix}l1`,
    timeoutMs: 500,
    maxReconnectDelayMs: 100,
  });
  const cache = new L1CoherentCache({ remote, bus, ttlMs: 60_000 });
  open.push(cache);
  const ready = await remote.ready();
  if (!ready.ok) throw ready.error;
  if (!(await bus.ready())) throw new Error(`invalidation bus not subscribed via ${busUrl}`);
  return cache;
}

async function eventually<T>(read: () => Promise<T>, want: T, withinMs = 1000): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const got = await read();
    try {
      expect(got).toEqual(want);
      return performance.now() - t0;
    } catch (err) {
      if (performance.now() - t0 > withinMs) throw err;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeAll(async () => {
  admin = await connectRedis();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  if (!admin) return; // connectRedis failed in beforeAll, with a message saying why
  await deletePrefix(admin, prefix);
  admin.destroy();
});

describeCacheContract('L1CoherentCache over real Redis', async () => ({
  cache: await replica(),
  elapse: (ms) => new Promise((r) => setTimeout(r, ms)),
}));

describe('two replicas with L1 over real Redis pub/sub', () => {
  it('stay coherent after set, del and tag invalidation on one of them (L1 TTL 60 s)', async () => {
    const a = await replica();
    const b = await replica();
    await a.set('sheet:1', 'v1', { ttlMs: 60_000, tags: ['sheet:1'] });
    // a's own message may still be in flight and keep b from filling on its first read.
    await eventually(async () => {
      expect(await b.get('sheet:1')).toEqual({ ok: true, value: 'v1' });
      return b.l1Stats.hits > 0;
    }, true);
    const hits = b.l1Stats.hits;
    expect(await b.get('sheet:1')).toEqual({ ok: true, value: 'v1' });
    expect(b.l1Stats.hits).toBe(hits + 1); // b now serves sheet:1 from its own memory

    await a.set('sheet:1', 'v2', { ttlMs: 60_000, tags: ['sheet:1'] });
    const lag = await eventually(() => b.get('sheet:1'), { ok: true, value: 'v2' }, 500);
    expect(lag).toBeLessThan(500); // a message, not the 60 s L1 TTL

    expect(await b.get('sheet:1')).toEqual({ ok: true, value: 'v2' });
    await a.del('sheet:1');
    await eventually(() => b.get('sheet:1'), { ok: true, value: undefined }, 500);

    await a.set('rows:1', 'r', { ttlMs: 60_000, tags: ['sheet:1'] });
    expect(await b.get('rows:1')).toEqual({ ok: true, value: 'r' });
    await a.invalidateTag('sheet:1');
    await eventually(() => b.get('rows:1'), { ok: true, value: undefined }, 500);
  });

  it('a tag invalidation names its keys: other replicas keep unrelated L1 entries', async () => {
    const a = await replica();
    const b = await replica();
    await a.set('rows:7', 'r7', { ttlMs: 60_000, tags: ['sheet:7'] });
    await a.set('user:1', 'u1', { ttlMs: 60_000 });
    await eventually(async () => {
      await b.get('rows:7');
      await b.get('user:1');
      return b.l1Stats.entries;
    }, 2);
    expect(await a.invalidateTag('sheet:7')).toEqual({ ok: true, value: 1 });
    await eventually(() => b.get('rows:7'), { ok: true, value: undefined }, 500);
    const hits = b.l1Stats.hits;
    expect(await b.get('user:1')).toEqual({ ok: true, value: 'u1' });
    expect(b.l1Stats.hits).toBe(hits + 1); // still served from b's L1
  });

  it('a replica that loses its subscription drops L1, reads through, and refills once back', async () => {
    const proxy = await startTcpProxy(redisAddress(REDIS_URL));
    proxies.push(proxy);
    const a = await replica();
    const b = await replica(proxy.url());
    await a.set('sheet:2', 'v1', { ttlMs: 60_000 });
    await eventually(async () => {
      await b.get('sheet:2');
      return b.l1Stats.entries;
    }, 1);

    proxy.cut();
    await eventually(async () => b.l1Stats.coherent, false);
    expect(b.l1Stats.entries).toBe(0);
    await a.set('sheet:2', 'v2', { ttlMs: 60_000 }); // b cannot hear this
    expect(await b.get('sheet:2')).toEqual({ ok: true, value: 'v2' });
    expect(b.l1Stats.entries).toBe(0); // not filled while deaf

    proxy.restore();
    await eventually(async () => b.l1Stats.coherent, true, 3000);
    expect(await b.get('sheet:2')).toEqual({ ok: true, value: 'v2' });
    expect(b.l1Stats.entries).toBe(1);
    await a.set('sheet:2', 'v3', { ttlMs: 60_000 });
    await eventually(() => b.get('sheet:2'), { ok: true, value: 'v3' }, 500);
  });
});
