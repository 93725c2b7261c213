import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../test/helpers/redis.ts';
import { keyspaceMemory, type OwnRedis, startRedis } from '../../test/helpers/redis-server.ts';
import { RedisCache } from '../cache/redis-cache.ts';
import { dictBucketBytes, entryBytes, jemallocSize, sdsBytes } from './redis-memory.ts';

/**
 * The Redis memory model against a real Redis (its own server, so `used_memory` is ours
 * alone): entries written by `RedisCache` itself, with the service's key layout and tags,
 * over small and large values and shared and private tag sets.
 */
let redis: OwnRedis;
const layout = { keyPrefix: 'metasheet:staging:' };

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

interface Case {
  readonly name: string;
  readonly entries: number;
  /** JSON of entry i. */
  readonly value: (i: number) => string;
  readonly key: (i: number) => string;
  readonly tag: (i: number) => string;
}

const str = (n: number) => 'x'.repeat(n);
const CASES: Case[] = [
  {
    name: 'user 68 B, own tag',
    entries: 3_000,
    value: () => str(66),
    key: (i) => `user:${i}`,
    tag: (i) => `user:${i}`,
  },
  {
    name: '10 B, own tag',
    entries: 3_000,
    value: () => str(8),
    key: (i) => `user:${i}`,
    tag: (i) => `user:${i}`,
  },
  {
    name: 'sheet group 4 keys / tag, mixed sizes',
    entries: 4_000,
    value: (i) => str([200, 1_400, 500, 44][i % 4] ?? 0),
    key: (i) => `${['sheet', 'rows', 'formula', 'comments'][i % 4]}:${Math.floor(i / 4)}`,
    tag: (i) => `sheet:${Math.floor(i / 4)}`,
  },
  {
    name: 'large 20 KB, own tag',
    entries: 500,
    value: () => str(20_000),
    key: (i) => `rows:${i}`,
    tag: (i) => `sheet:${i}`,
  },
  {
    name: 'large 100 KB, own tag',
    entries: 100,
    value: () => str(100_000),
    key: (i) => `rows:${i}`,
    tag: (i) => `sheet:${i}`,
  },
];

function predict(c: Case): number {
  let bytes = 0;
  const tagSets = new Map<string, number>();
  for (let i = 0; i < c.entries; i++) {
    const tag = c.tag(i);
    const e = entryBytes(layout, c.key(i), Buffer.byteLength(JSON.stringify(c.value(i))), [tag]);
    bytes += e.value + e.tagMembers;
    if (!tagSets.has(tag)) bytes += e.tagSets;
    tagSets.set(tag, (tagSets.get(tag) ?? 0) + 1);
  }
  return bytes + dictBucketBytes(c.entries + tagSets.size);
}

describe('Redis memory model (redis-memory.ts) against a real Redis 7', () => {
  it('knows jemalloc size classes and sds headers', () => {
    expect([8, 9, 24, 33, 129, 20_006, 100_000].map(jemallocSize)).toEqual([
      8, 16, 32, 48, 160, 20_480, 114_688,
    ]);
    expect([sdsBytes(29), sdsBytes(31), sdsBytes(32)]).toEqual([32, 48, 48]);
  });

  it('predicts used_memory of entries written by RedisCache within ±3 %', async () => {
    const rows: string[] = [];
    let warmedUp = false;
    const admin = await connectRedis(redis.url);
    try {
      // Warm-up: the first scripts and connections of a fresh server allocate once (~100 KB).
      for (const c of [CASES[0], ...CASES]) {
        if (c === undefined) continue;
        await admin.flushAll();
        const cache = new RedisCache({
          url: redis.url,
          keyPrefix: layout.keyPrefix,
          timeoutMs: 2_000,
        });
        const ready = await cache.ready();
        if (!ready.ok) throw ready.error;
        const before = await keyspaceMemory(redis.url);
        for (let i = 0; i < c.entries; i += 200) {
          await Promise.all(
            Array.from({ length: Math.min(200, c.entries - i) }, (_, j) =>
              cache.set(c.key(i + j), c.value(i + j), { ttlMs: 600_000, tags: [c.tag(i + j)] }),
            ),
          );
        }
        // Let Redis finish incremental rehashing (its cron spends 1 ms per 100 ms on it).
        let after = await keyspaceMemory(redis.url);
        for (let k = 0; k < 20; k++) {
          await new Promise((r) => setTimeout(r, 100));
          const now = await keyspaceMemory(redis.url);
          if (now === after) break;
          after = now;
        }
        await cache.close();
        const measured = after - before;
        const predicted = predict(c);
        const err = predicted / measured - 1;
        if (rows.length === 0 && c === CASES[0] && !warmedUp) {
          warmedUp = true;
          continue;
        }
        rows.push(
          `${c.name.padEnd(40)} ${String(c.entries).padStart(6)} entries  measured ${(measured / c.entries).toFixed(1).padStart(8)} B/entry  model ${(predicted / c.entries).toFixed(1).padStart(8)}  error ${(err * 100).toFixed(2)} %`,
        );
        expect(
          Math.abs(err),
          `${c.name}: measured ${measured}, predicted ${predicted}`,
        ).toBeLessThanOrEqual(0.03);
      }
    } finally {
      console.log(`Redis memory model vs used_memory:\n${rows.join('\n')}`);
      admin.destroy();
    }
  });
});
