import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect } from 'vitest';
import { RedisInvalidationBus } from '../service/cache/invalidation-bus.ts';
import { L1CoherentCache } from '../service/cache/l1-coherent.ts';
import { RedisCache } from '../service/cache/redis-cache.ts';
import { buildTestApp } from './helpers/build-test-app.ts';
import { REDIS_URL } from './helpers/redis.ts';
import { it } from './helpers/redis-fixture.ts';

const servers: Server[] = [];
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  await Promise.all(closers.splice(0).map((c) => c()));
});
/** One app instance ("replica") with RedisCache + L1 kept coherent over Redis pub/sub. */
async function replica(prefix: string) {
  const remote = new RedisCache({ url: REDIS_URL, keyPrefix: prefix, timeoutMs: 500 });
  const bus = new RedisInvalidationBus({ url: REDIS_URL, channel: `${prefix}l1`, timeoutMs: 500 });
  const l1 = new L1CoherentCache({ remote, bus, ttlMs: 60_000 });
  const built = buildTestApp({ cache: l1 });
  closers.push(() => built.cache.close());
  if (!(await remote.ready()).ok || !(await bus.ready())) throw new Error('Redis not ready');
  const server = createServer(built.app);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { ...built, l1, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const title = async (url: string): Promise<string> => {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return ((await res.json()) as { title: string }).title;
};

describe('two app replicas with L1 over real Redis', () => {
  it('stay coherent after a write on one of them, though the other served from its L1', async ({
    prefix,
  }) => {
    const a = await replica(prefix);
    const b = await replica(prefix);
    expect(await title(`${a.url}/api/sheets/5`)).toBe('Sheet 5'); // a loads, fills Redis
    // b reads until it serves sheet 5 from its own memory (a's fill message may race b's first read).
    for (let i = 0; i < 20 && b.l1.l1Stats.hits === 0; i++) {
      expect(await title(`${b.url}/api/sheets/5`)).toBe('Sheet 5');
    }
    expect(b.l1.l1Stats.hits).toBeGreaterThan(0);
    expect(b.source.loads.sheet).toBe(0);

    // The source of truth is per process here: apply the edit to b's source too (a shared
    // database in real life), then write through a, which invalidates Redis and every L1.
    await b.source.updateSheet(5, 'Renamed', 0);
    const put = await fetch(`${a.url}/api/sheets/5`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Renamed' }),
    });
    expect(put.status).toBe(200);
    const t0 = performance.now();
    let seen = await title(`${b.url}/api/sheets/5`);
    while (seen !== 'Renamed' && performance.now() - t0 < 500) {
      await new Promise((r) => setTimeout(r, 5));
      seen = await title(`${b.url}/api/sheets/5`);
    }
    expect(seen).toBe('Renamed'); // well within the 60 s L1 TTL: the message did it
    expect(await title(`${a.url}/api/sheets/5`)).toBe('Renamed');
  });
});
