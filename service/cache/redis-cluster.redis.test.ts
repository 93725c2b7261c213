import { afterEach, describe, expect, inject, it } from 'vitest';
import { uniquePrefix } from '../../test/helpers/redis.ts';
import { redisCli } from '../../test/helpers/redis-servers.ts';
import { RedisCache } from './redis-cache.ts';
import { ClusterTopology } from './redis-cluster-topology.ts';

// The local Redis Cluster of the project's global setup (test/helpers/topologies.global.ts).
const t = inject('topologies');
const caches: RedisCache[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
});

async function clusterCache(): Promise<RedisCache> {
  const cache = new RedisCache({
    topology: new ClusterTopology(t.clusterSeeds),
    keyPrefix: uniquePrefix('cluster'),
    timeoutMs: 1000,
  });
  caches.push(cache);
  const ready = await cache.ready(10_000);
  if (!ready.ok) throw ready.error;
  return cache;
}

/**
 * Total `calls` (or `failed_calls`) of `cmd` (e.g. `mget`) on every live master, from INFO
 * commandstats. Commands a script runs count there too.
 */
async function calls(cmd: string, field: 'calls' | 'failed_calls' = 'calls'): Promise<number> {
  let n = 0;
  for (const port of Object.keys(t.clusterPids)) {
    const out = await redisCli(Number(port), ['info', 'commandstats']).catch(() => '');
    const m = new RegExp(`cmdstat_${cmd}:.*\\b${field}=(\\d+)`).exec(out);
    if (
      m &&
      !/role:slave/.test(await redisCli(Number(port), ['info', 'replication']).catch(() => ''))
    ) {
      n += Number(m[1]);
    }
  }
  return n;
}

describe('RedisCache on Redis Cluster', () => {
  it('a reader never sees a stale value after invalidateTag returns (tag spread over every master)', async () => {
    const cache = await clusterCache();
    const topology = cache.topology;
    for (let round = 0; round < 20; round++) {
      const tag = `sheet:${round}`;
      const keys = Array.from({ length: 60 }, (_, i) => `rows:${round}:${i}`);
      await Promise.all(
        keys.map((k) => cache.set(k, { round, k }, { ttlMs: 60_000, tags: [tag] })),
      );
      const nodes = new Set(keys.map((k) => topology.nodeOf(`${cache.keyPrefix}v:${k}`)));
      expect(nodes.size, 'the tag spans every master').toBe(3);
      // Readers run while the invalidation is in flight; once it returns, none may hit.
      let stop = false;
      const readers = (async () => {
        while (!stop) await Promise.all(keys.map((k) => cache.get(k)));
      })();
      const r = await cache.invalidateTag(tag);
      const after = await Promise.all(keys.map((k) => cache.get(k)));
      stop = true;
      await readers;
      expect(r).toEqual({ ok: true, value: keys.length });
      expect(after.filter((g) => !g.ok || g.value !== undefined)).toEqual([]);
    }
  });

  it('batches the gets of one turn per node: one scripted GET per master, every value right', async () => {
    const cache = await clusterCache();
    const keys = Array.from({ length: 300 }, (_, i) => `user:${i}`);
    await Promise.all(keys.map((k) => cache.set(k, k, { ttlMs: 60_000 })));
    const counts = () =>
      Promise.all([
        calls('evalsha'),
        calls('evalsha', 'failed_calls'),
        calls('mget'),
        calls('get'),
      ]);
    const before = await counts();
    const got = await Promise.all(keys.map((k) => cache.get(k)));
    const after = await counts();
    const [evalsha = 0, failed = 0, mget = 0, get = 0] = after.map((n, i) => n - (before[i] ?? 0));
    expect(got.map((g) => (g.ok ? g.value : g.error.type))).toEqual(keys);
    // 300 keys over ~300 slots on 3 masters: 3 client commands, not 300 (one per node);
    // the 300 GETs are the scripts' own (no failed script, no per-slot fallback).
    expect({ evalsha, failed, mget, get }).toEqual({ evalsha: 3, failed: 0, mget: 0, get: 300 });
  });

  it('falls back to one MGET per slot when the script cannot serve a batch', async () => {
    const cache = await clusterCache();
    // Same-slot keys ({u7}) and a key another node owns are mixed by calling the topology
    // with a wrong node: the script refuses the foreign key, the per-slot path answers.
    const topology = cache.topology;
    const a = `${cache.keyPrefix}v:user:{u7}:1`;
    const b = `${cache.keyPrefix}v:user:{u7}:2`;
    await cache.set('user:{u7}:1', 'one', { ttlMs: 60_000 });
    await cache.set('user:{u7}:2', 'two', { ttlMs: 60_000 });
    const home = topology.nodeOf(a);
    const other = t.clusterSeeds
      .map((u) => new URL(u).host)
      .find((h) => h !== home && topology.isReady(h));
    if (!other) throw new Error('no other master');
    expect(await topology.mGetOnNode(other, [a, b])).toEqual(['"one"', '"two"']);
  });

  it('readSize sums every master: keys per pattern exact, used_memory = the sum of INFO over masters', async () => {
    const cache = await clusterCache();
    const n = 120;
    const sets = await Promise.all(
      Array.from({ length: n }, (_, i) => cache.set(`user:${i}`, { i }, { ttlMs: 60_000 })),
    );
    expect(sets.every((r) => r.ok)).toBe(true);
    const masters = cache.topology.masterNodes();
    expect(masters.length).toBe(3);
    // Every master holds some of the keys (the sum below is over more than one node).
    const perMaster = await Promise.all(
      masters.map(async (m) => {
        const port = Number(m.split(':')[1]);
        const keys = await redisCli(port, ['--scan', '--pattern', `${cache.keyPrefix}v:*`]);
        return keys.split('\n').filter(Boolean).length;
      }),
    );
    expect(perMaster.every((k) => k > 0)).toBe(true);
    expect(perMaster.reduce((a, b) => a + b, 0)).toBe(n);

    const snap = await cache.readSize((key) => key.split(':')[0] ?? 'other');
    if (!snap?.up) throw new Error(`no size reading: ${JSON.stringify(snap)}`);
    expect(snap.complete).toBe(true);
    expect(snap.patterns.get('user')?.keys).toBe(n);
    expect(snap.patterns.get('user')?.bytes).toBeGreaterThan(0);
    const used = await Promise.all(
      masters.map(async (m) => {
        const info = await redisCli(Number(m.split(':')[1]), ['info', 'memory']);
        return Number(/used_memory:(\d+)/.exec(info)?.[1]);
      }),
    );
    const sum = used.reduce((a, b) => a + b, 0);
    // Other files' keys and client buffers move used_memory a little between the reads.
    expect(snap.usedMemoryBytes).toBeGreaterThan(sum * 0.8);
    expect(snap.usedMemoryBytes).toBeLessThan(sum * 1.2);
    expect(snap.usedMemoryBytes).toBeGreaterThan(Math.max(...used));
  });

  it('refuses a key prefix with a brace (it would put every key in one slot)', () => {
    const topology = new ClusterTopology(t.clusterSeeds);
    expect(() => new RedisCache({ topology, keyPrefix: 'app:{x}:' })).toThrow(
      /must not contain \{/,
    );
    return topology.close();
  });
});
