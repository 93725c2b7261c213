import calculateSlot from 'cluster-key-slot';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { FollowingInvalidationBus } from '../service/cache/following-invalidation-bus.ts';
import { L1CoherentCache } from '../service/cache/l1-coherent.ts';
import { RedisCache } from '../service/cache/redis-cache.ts';
import { ClusterTopology } from '../service/cache/redis-cluster-topology.ts';
import { parseHostPorts } from '../service/cache/redis-connect.ts';
import { SentinelTopology } from '../service/cache/redis-sentinel-topology.ts';
import type { RedisTopology } from '../service/cache/redis-topology.ts';
import { uniquePrefix } from './helpers/redis.ts';
import { clusterNodes, mastersWithReplica, redisCli, waitFor } from './helpers/redis-servers.ts';

// The local Redis Cluster of the project's global setup (test/helpers/topologies.global.ts).
const t = inject('topologies');
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** One app replica: RedisCache on the Cluster (or Sentinel) + L1 kept coherent over pub/sub. */
async function replica(prefix: string, channel: string, mode: 'cluster' | 'sentinel' = 'cluster') {
  const topology: RedisTopology & (ClusterTopology | SentinelTopology) =
    mode === 'cluster'
      ? new ClusterTopology(t.clusterSeeds)
      : new SentinelTopology(t.sentinelName, parseHostPorts(t.sentinels));
  const remote = new RedisCache({ topology, keyPrefix: prefix, timeoutMs: 500 });
  const bus = new FollowingInvalidationBus({ topology, channel, timeoutMs: 500 });
  const coherence: boolean[] = [];
  bus.onCoherence((c) => coherence.push(c));
  const l1 = new L1CoherentCache({ remote, bus, ttlMs: 60_000 });
  closers.push(() => l1.close());
  if (!(await remote.ready(10_000)).ok || !(await bus.ready(10_000))) {
    throw new Error('Cluster or sharded subscription not ready');
  }
  return { l1, bus, coherence };
}

/** Reads `key` until the replica serves it from its own L1 (so a later change must come by the bus). */
async function fromL1(l1: L1CoherentCache, key: string): Promise<void> {
  const hits = l1.l1Stats.hits;
  for (let i = 0; i < 50 && l1.l1Stats.hits === hits; i++) await l1.get(key);
  expect(l1.l1Stats.hits, `${key} served from L1`).toBeGreaterThan(hits);
}

/** Polls `b` until it returns `want` for `key` (delivery of the other replica's message is async). */
async function sees(l1: L1CoherentCache, key: string, want: unknown): Promise<void> {
  await waitFor(
    `${key} = ${JSON.stringify(want)}`,
    async () => {
      const r = await l1.get(key);
      return r.ok && JSON.stringify(r.value) === JSON.stringify(want);
    },
    5_000,
  );
}

const livePort = () => {
  for (const [port, pid] of Object.entries(t.clusterPids)) {
    try {
      process.kill(pid, 0);
      return Number(port);
    } catch {}
  }
  throw new Error('no cluster node alive');
};

describe('L1 over Redis Cluster, invalidations by sharded pub/sub (SPUBLISH/SSUBSCRIBE)', () => {
  it('a write or tag invalidation on one replica drops the value from the other replica’s L1', async () => {
    const prefix = uniquePrefix('l1-cluster');
    const a = await replica(prefix, `${prefix}l1`);
    const b = await replica(prefix, `${prefix}l1`);
    await a.l1.set('sheet:1', { v: 1 }, { ttlMs: 60_000, tags: ['sheet:1'] });
    await sees(b.l1, 'sheet:1', { v: 1 });
    // b reads until it serves from its own L1 (a fill racing a's message is not kept).
    for (let i = 0; i < 20 && b.l1.l1Stats.hits === 0; i++) {
      expect(await b.l1.get('sheet:1')).toEqual({ ok: true, value: { v: 1 } });
    }
    expect(b.l1.l1Stats.hits, 'served from b’s L1').toBeGreaterThan(0);
    await a.l1.set('sheet:1', { v: 2 }, { ttlMs: 60_000, tags: ['sheet:1'] });
    await sees(b.l1, 'sheet:1', { v: 2 });
    await a.l1.invalidateTag('sheet:1');
    await sees(b.l1, 'sheet:1', undefined);
  });

  it('the master of the channel’s slot crashes: the bus reports the loss, resubscribes on the promoted replica, and delivers again', async () => {
    const prefix = uniquePrefix('l1-cluster-failover');
    // A channel whose slot belongs to a master with a live replica (another file may have
    // used up one failover already).
    const candidates = await mastersWithReplica(livePort());
    const slotOwners = await slotMap(livePort());
    let channel = '';
    let victim: { port: number } | undefined;
    for (let i = 0; i < 100 && !victim; i++) {
      channel = `${prefix}l1:${i}`;
      const port = slotOwners.get(calculateSlot(channel));
      victim = candidates.find((m) => m.port === port);
    }
    if (!victim) throw new Error('no channel on a master with a replica');
    const a = await replica(prefix, channel);
    const b = await replica(prefix, channel);
    await a.l1.set('user:9', { v: 1 }, { ttlMs: 60_000 });
    await sees(b.l1, 'user:9', { v: 1 });

    process.kill(t.clusterPids[victim.port] ?? 0, 'SIGKILL');
    await waitFor('b’s bus notices the lost subscription', async () => !b.bus.coherent, 10_000);
    await waitFor(
      'a replica takes over',
      async () =>
        !(await clusterNodes(livePort())).some(
          (n) => n.port === victim?.port && n.master && !n.failed && n.slots > 0,
        ),
      20_000,
    );
    expect(await b.bus.ready(15_000), 'b subscribed again on the new master').toBe(true);
    expect(await a.bus.ready(15_000)).toBe(true);
    expect(b.coherence.slice(-2)).toEqual([false, true]);
    await fromL1(b.l1, 'user:9');
    await a.l1.set('user:9', { v: 2 }, { ttlMs: 60_000 });
    await sees(b.l1, 'user:9', { v: 2 });
    // b serves it from L1 again, and a's next write still reaches it.
    await a.l1.set('user:9', { v: 3 }, { ttlMs: 60_000 });
    await sees(b.l1, 'user:9', { v: 3 });
  }, 60_000);
});

/** slot → port of its master, from CLUSTER SLOTS via redis-cli. */
async function slotMap(port: number): Promise<Map<number, number>> {
  const out = (await redisCli(port, ['--json', 'cluster', 'slots'])).trim();
  const ranges = JSON.parse(out) as [number, number, [string, number, string], ...unknown[]][];
  const map = new Map<number, number>();
  for (const [from, to, [, p]] of ranges) for (let s = from; s <= to; s++) map.set(s, p);
  return map;
}

describe('L1 over Redis Sentinel, invalidations by pub/sub on the current master', () => {
  it('stays coherent across a Sentinel failover (SENTINEL FAILOVER): loss reported, resubscribed on the new master', async () => {
    const prefix = uniquePrefix('l1-sentinel');
    const a = await replica(prefix, `${prefix}l1`, 'sentinel');
    const b = await replica(prefix, `${prefix}l1`, 'sentinel');
    await a.l1.set('sheet:3', { v: 1 }, { ttlMs: 60_000 });
    await sees(b.l1, 'sheet:3', { v: 1 });
    await a.l1.set('sheet:3', { v: 2 }, { ttlMs: 60_000 });
    await sees(b.l1, 'sheet:3', { v: 2 });

    const sentinelPort = Number(t.sentinels[0]?.split(':')[1]);
    const master = async () =>
      (await redisCli(sentinelPort, ['sentinel', 'get-master-addr-by-name', t.sentinelName]))
        .trim()
        .split('\n')[1];
    const before = await master();
    const reply = await redisCli(sentinelPort, ['sentinel', 'failover', t.sentinelName]);
    expect(reply.trim()).toBe('OK');
    await waitFor(
      'the sentinels switch the master',
      async () => (await master()) !== before,
      20_000,
    );
    await waitFor('b’s bus notices the switch', async () => b.coherence.includes(false), 15_000);
    expect(await b.bus.ready(15_000), 'b subscribed again on the new master').toBe(true);
    expect(await a.bus.ready(15_000)).toBe(true);
    expect(b.coherence.slice(-2)).toEqual([false, true]);
    await fromL1(b.l1, 'sheet:3');
    await a.l1.set('sheet:3', { v: 3 }, { ttlMs: 60_000 });
    await sees(b.l1, 'sheet:3', { v: 3 });
  }, 60_000);
});
