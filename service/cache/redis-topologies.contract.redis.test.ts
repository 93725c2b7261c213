import { describe, expect, inject, it } from 'vitest';
import { describeCacheContract } from '../../test/helpers/cache-contract.ts';
import { uniquePrefix } from '../../test/helpers/redis.ts';
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

describe('readSize on every topology (Redis size at scrape time)', () => {
  for (const [name, target] of targets) {
    it(`${name}: counts this cache's keys per pattern exactly, and used_memory`, async () => {
      const cache = new RedisCache({
        topology: connectTopology(target),
        keyPrefix: uniquePrefix(`size-${target.mode}`),
        timeoutMs: 500,
      });
      try {
        const ready = await cache.ready(10_000);
        if (!ready.ok) throw ready.error;
        const sets = await Promise.all([
          ...Array.from({ length: 30 }, (_, i) => cache.set(`user:${i}`, { i }, { ttlMs: 60_000 })),
          ...Array.from({ length: 7 }, (_, i) =>
            cache.set(`sheet:${i}`, { i }, { ttlMs: 60_000, tags: [`sheet:${i}`] }),
          ),
        ]);
        expect(sets.every((r) => r.ok)).toBe(true);
        const snap = await cache.readSize((key) => key.split(':')[0] ?? 'other');
        if (!snap?.up) throw new Error(`no size reading: ${JSON.stringify(snap)}`);
        expect(snap.patterns.get('user')?.keys).toBe(30);
        expect(snap.patterns.get('sheet')?.keys).toBe(7);
        // Cluster tag sets (`t:{<slot tag>}<tag>`) count under their tag's pattern too.
        expect([...snap.patterns.keys()].sort()).toEqual(['sheet', 'user']);
        expect(snap.usedMemoryBytes).toBeGreaterThan(100_000);
      } finally {
        await cache.close();
      }
    });
  }
});
