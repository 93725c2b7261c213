import { describe, expect } from 'vitest';
import { RedisCache } from '../service/cache/redis-cache.ts';
import { HOT_PATTERN, hitRatioRun } from './helpers/hit-ratio-run.ts';
import { REDIS_URL } from './helpers/redis.ts';
import { it } from './helpers/redis-fixture.ts';

const TTL_MS = 1_500;
const RUN_MS = 6_000;
const BETA = 16;

// Deadline 1 s: this shared box stalls at times; a timed-out get would count as an error, not a miss.
const redis = (prefix: string, name: string) =>
  new RedisCache({ url: REDIS_URL, keyPrefix: `${prefix}${name}:`, timeoutMs: 1_000 });

describe('early refresh (XFetch), RedisCache', () => {
  it(`keeps the hottest pattern's hit ratio over ${RUN_MS / TTL_MS} TTLs within 0.01 of no TTL`, async ({
    prefix,
  }) => {
    const a = redis(prefix, 'nottl');
    const b = redis(prefix, 'early');
    await Promise.all([a.ready(), b.ready()]);
    const noTtl = await hitRatioRun({ cache: a, ttlMs: 3_600_000, beta: 0, durationMs: RUN_MS });
    const early = await hitRatioRun({ cache: b, ttlMs: TTL_MS, beta: BETA, durationMs: RUN_MS });
    console.log(
      `redis, ${HOT_PATTERN} hit ratio: no TTL ${noTtl.hitRatio.toFixed(4)} (${noTtl.loads} loads); ` +
        `TTL ${TTL_MS} ms + XFetch β=${BETA} ${early.hitRatio.toFixed(4)} (${early.loads} loads)`,
    );
    expect(noTtl.failed + early.failed).toBe(0);
    expect(early.hitRatio).toBeGreaterThanOrEqual(noTtl.hitRatio - 0.01);
  }, 60_000);
});
