import { randomBytes } from 'node:crypto';
import { RedisCache } from '../../service/cache/redis-cache.ts';
import { ClusterTopology } from '../../service/cache/redis-cluster-topology.ts';
import { startCluster } from '../../test/helpers/redis-servers.ts';
import { median } from './measure.ts';

/** Figures in operations per second, the same workload on both. */
export interface ClusterBenchResult {
  readonly standaloneGet: number;
  readonly clusterGet: number;
  readonly standaloneSet: number;
  readonly clusterSet: number;
  readonly standaloneTaggedSet: number;
  readonly clusterTaggedSet: number;
}

async function throughput(op: (i: number) => Promise<unknown>, n: number, inflight: number) {
  let issued = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (issued < n) await op(issued++);
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

/**
 * RedisCache on one Redis against RedisCache on a 3-master Cluster (3 replicas), same
 * machine, same run: gets of 10,000 distinct keys (values checked), plain sets and tagged
 * sets, 1,000 in flight. Both servers are started here on loopback (ports 7060-7066) with
 * the same settings, so the ratio compares the client paths, not two different servers.
 */
export async function benchClusterVsStandalone({
  requests = 100_000,
  inflight = 1000,
  rounds = 3,
} = {}): Promise<ClusterBenchResult> {
  const cluster = await startCluster([7060, 7061, 7062, 7063, 7064, 7065]);
  // A standalone server with the same flags, minus cluster mode: started as a one-node
  // "cluster" would not be standalone, so reuse the helper's launcher through a 7066 node.
  const { spawn } = await import('node:child_process');
  const solo = spawn(
    'redis-server',
    ['--port', '7066', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const prefix = `bench:${process.pid}:${randomBytes(4).toString('hex')}:`;
  const standalone = new RedisCache({
    url: 'redis://127.0.0.1:7066',
    keyPrefix: prefix,
    timeoutMs: 2000,
  });
  const clustered = new RedisCache({
    topology: new ClusterTopology(cluster.seeds),
    keyPrefix: prefix,
    timeoutMs: 2000,
  });
  const runs: Record<keyof ClusterBenchResult, number[]> = {
    standaloneGet: [],
    clusterGet: [],
    standaloneSet: [],
    clusterSet: [],
    standaloneTaggedSet: [],
    clusterTaggedSet: [],
  };
  try {
    for (const c of [standalone, clustered]) {
      const ready = await c.ready(10_000);
      if (!ready.ok) throw ready.error;
    }
    const KEYS = 10_000;
    const key = (i: number) => `user:${i % KEYS}`;
    const value = (i: number) => ({ id: i % KEYS, name: 'Ada', roles: ['owner'] });
    const set = (c: RedisCache) => (i: number) => c.set(key(i), value(i), { ttlMs: 600_000 });
    const tagged = (c: RedisCache) => (i: number) =>
      c.set(`perm:${i % KEYS}`, value(i), { ttlMs: 600_000, tags: [`user:${i % 1000}`] });
    const get = (c: RedisCache) => async (i: number) => {
      const r = await c.get<{ id: number }>(key(i));
      if (!r.ok) throw r.error;
      if (r.value?.id !== i % KEYS) throw new Error(`wrong value for ${key(i)}`);
    };
    for (const c of [standalone, clustered]) await throughput(set(c), KEYS, inflight); // fill + warm-up
    for (let r = 0; r < rounds; r++) {
      runs.standaloneGet.push(await throughput(get(standalone), requests, inflight));
      runs.clusterGet.push(await throughput(get(clustered), requests, inflight));
      runs.standaloneSet.push(await throughput(set(standalone), requests / 4, inflight));
      runs.clusterSet.push(await throughput(set(clustered), requests / 4, inflight));
      runs.standaloneTaggedSet.push(await throughput(tagged(standalone), requests / 4, inflight));
      runs.clusterTaggedSet.push(await throughput(tagged(clustered), requests / 4, inflight));
    }
  } finally {
    await Promise.all([standalone.close(), clustered.close()]);
    solo.kill('SIGKILL');
    await cluster.stop();
  }
  return Object.fromEntries(
    Object.entries(runs).map(([k, xs]) => [k, median(xs)]),
  ) as unknown as ClusterBenchResult;
}

export function formatClusterBench(r: ClusterBenchResult): string {
  const f = (x: number) => `${Math.round(x).toLocaleString('en-US')}/s`;
  const row = (name: string, s: number, c: number) =>
    `${name.padEnd(28)} standalone ${f(s).padStart(10)}  cluster ${f(c).padStart(10)}  = ${(c / s).toFixed(2)} x standalone`;
  return [
    row('RedisCache.get (10k keys)', r.standaloneGet, r.clusterGet),
    row('RedisCache.set', r.standaloneSet, r.clusterSet),
    row('RedisCache.set, 1 tag', r.standaloneTaggedSet, r.clusterTaggedSet),
  ].join('\n');
}
