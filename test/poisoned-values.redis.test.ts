import request from 'supertest';
import { afterEach, describe, expect } from 'vitest';
import { VALUE_SHAPES } from '../service/api/value-shapes.ts';
import type { Cache } from '../service/cache/cache.ts';
import { RedisInvalidationBus } from '../service/cache/invalidation-bus.ts';
import { L1CoherentCache } from '../service/cache/l1-coherent.ts';
import { RedisCache } from '../service/cache/redis-cache.ts';
import { METRICS } from '../service/metrics/names.ts';
import { buildTestApp } from './helpers/build-test-app.ts';
import { seriesValue } from './helpers/metrics-reader.ts';
import { REDIS_URL } from './helpers/redis.ts';
import { it } from './helpers/redis-fixture.ts';

// Above the 10 KB deep value, so that one is rejected for its depth, not its size.
const MAX_VALUE_BYTES = 16 * 1024;
const caches: Cache[] = [];

afterEach(async () => {
  await Promise.all(caches.splice(0).map((c) => c.close()));
});

/**
 * The real app over a RedisCache under the test's prefix (the production value policy),
 * optionally with the coherent L1 in front (a bad value must not stick in L1 either).
 */
async function app(prefix: string, withL1 = false) {
  const redis = new RedisCache({
    url: REDIS_URL,
    keyPrefix: prefix,
    timeoutMs: 500,
    maxValueBytes: MAX_VALUE_BYTES,
  });
  const ready = await redis.ready();
  if (!ready.ok) throw ready.error;
  if (!withL1) {
    caches.push(redis);
    return buildTestApp({ cache: redis });
  }
  const bus = new RedisInvalidationBus({ url: REDIS_URL, channel: `${prefix}l1`, timeoutMs: 500 });
  if (!(await bus.ready())) throw new Error('invalidation bus not ready');
  const l1 = new L1CoherentCache({ remote: redis, bus, ttlMs: 60_000 });
  caches.push(l1);
  return buildTestApp({ cache: l1 });
}

/** The source's answer for user `id` (MetaSheetSource's data set). */
const userOf = (id: number) => ({ id, name: `User ${id}`, email: `user${id}@metasheet.example` });
const current = VALUE_SHAPES.user.version;
const deepArray = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

/** Bad values an attacker, a bug or an older deploy could leave under `v:user:<id>`. */
const POISON: { name: string; raw: string }[] = [
  {
    name: 'wrong shape, as an older release stored it (no envelope)',
    raw: JSON.stringify({ id: 1, name: 'Mallory', email: 'x', isAdmin: true }),
  },
  {
    name: 'wrong shape inside a current envelope',
    raw: JSON.stringify({ v: current, d: { id: '1', name: 'Mallory', email: 'x' } }),
  },
  {
    name: 'extra field inside a current envelope',
    raw: JSON.stringify({ v: current, d: { ...userOf(1), isAdmin: true } }),
  },
  {
    // 10 KB of nesting made res.json overflow the stack: 500 on every request until TTL.
    name: 'deeply nested array, 10 KB (the 500 case)',
    raw: `{"v":${current},"d":${deepArray(5_000)}}`,
  },
  { name: 'deeply nested array without envelope', raw: deepArray(5_000) },
  {
    name: 'oversize on read (over REDIS_MAX_VALUE_BYTES)',
    raw: JSON.stringify({ v: current, d: { ...userOf(1), name: 'x'.repeat(MAX_VALUE_BYTES) } }),
  },
  {
    name: 'old schema version, right shape',
    raw: JSON.stringify({ v: current - 1, d: userOf(1) }),
  },
  { name: 'corrupt JSON', raw: '{"v":1,"d":{' },
];

describe('poisoned cache values (real Redis): 200 from the source, counted, replaced', () => {
  const runs = [
    ...POISON.map((p, i) => ({ ...p, l1: false, id: 100 + i })),
    ...POISON.slice(0, 4).map((p, i) => ({
      ...p,
      name: `${p.name}, with L1`,
      l1: true,
      id: 200 + i,
    })),
  ];
  runs.forEach(({ name, raw, l1, id }) => {
    it(name, async ({ admin, prefix }) => {
      const a = await app(prefix, l1);
      const key = `${prefix}v:user:${id}`;
      await admin.set(key, raw.replace('"id":1,', `"id":${id},`), { PX: 60_000 });
      const counter = (m: { name: string }, labels: Record<string, string>) =>
        seriesValue(a.metrics.registry, m.name, labels);
      const userLabels = { impl: 'redis', key_pattern: 'user' };
      const errors = { impl: 'redis', error_type: 'serialization' };

      // Twice: a bad value must fail no request, and must not stay (no 500 until TTL).
      for (let attempt = 0; attempt < 2; attempt++) {
        const res = await request(a.app).get(`/api/users/${id}`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual(userOf(id));
      }
      expect(await counter(METRICS.cacheErrors, errors)).toBe(1);
      expect(await counter(METRICS.cacheHits, userLabels)).toBe(1); // the second request only
      expect(a.source.loads.user).toBe(1);
      // The bad value was replaced by the source's, in the current envelope (wrapped in the
      // read-through's grace entry: value, fresh-until, load time).
      expect(JSON.parse((await admin.get(key)) ?? 'null')).toEqual({
        v: current,
        d: { $fe: 1, v: userOf(id), f: expect.any(Number), d: expect.any(Number) },
      });
    });
  });

  it('a bad value for a missing resource is deleted (nothing to refill it with)', async ({
    admin,
    prefix,
  }) => {
    const a = await app(prefix);
    const key = `${prefix}v:user:999999`;
    await admin.set(key, JSON.stringify({ v: current, d: { nope: 1 } }), { PX: 60_000 });
    const res = await request(a.app).get('/api/users/999999');
    expect(res.status).toBe(404);
    expect(await admin.exists(key)).toBe(0);
  });
});
