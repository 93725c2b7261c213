import { inject } from 'vitest';
import { uniquePrefix } from '../../test/helpers/redis.ts';
import { describeCacheContract } from './contract.ts';
import { RedisCache } from './redis-cache.ts';
import { connectTopology, parseHostPorts, type RedisTarget } from './redis-connect.ts';

// The local Cluster (3 masters + 3 replicas) and Sentinel group come from the project's
// global setup (test/helpers/topologies.global.ts). Keys expire with their TTLs.
const t = inject('topologies');
const targets: [string, RedisTarget][] = [
  ['Redis Cluster, 3 masters + 3 replicas', { mode: 'cluster', seeds: t.clusterSeeds }],
  [
    'Redis Sentinel, 1 master + 1 replica, 3 sentinels',
    { mode: 'sentinel', name: t.sentinelName, sentinels: parseHostPorts(t.sentinels) },
  ],
];

for (const [name, target] of targets) {
  describeCacheContract(`RedisCache on ${name}`, async () => {
    const cache = new RedisCache({
      topology: connectTopology(target),
      keyPrefix: uniquePrefix(`contract-${target.mode}`),
      timeoutMs: 500,
    });
    const ready = await cache.ready(10_000);
    if (!ready.ok) throw ready.error;
    return { cache, elapse: (ms) => new Promise((r) => setTimeout(r, ms)) };
  });
}
