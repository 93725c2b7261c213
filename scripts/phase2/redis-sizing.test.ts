import { describe, expect, it } from 'vitest';
import { dictBucketBytes, REDIS_STALE_FRACTION } from '../../service/estimator/redis-memory.ts';
import { type Candidate, rankCandidates } from './candidates.ts';
import { curveOf, hitRatioAt, sizeForHitRatio } from './curve.ts';
import { sizeRedis } from './redis-sizing.ts';

const KiB = 1_024;
const RULES = {
  minAccessesPerMin: 100,
  minHitRatio: 0.2,
  kneeTolerance: 0.02,
  hitLatencySeconds: 0.002,
};

function candidate(
  pattern: string,
  wsBytes: number,
  entries: number,
  tag: number | null,
): Candidate {
  const [c] = rankCandidates(
    [
      {
        pattern,
        accessesPerMin: 1_000,
        // Linear up to the working set, then flat at 0.8.
        curve: [
          { sizeBytes: 0, hitRatio: 0 },
          { sizeBytes: wsBytes, hitRatio: 0.8 },
          { sizeBytes: 4 * wsBytes, hitRatio: 0.8 },
        ],
        workingSetBytes: wsBytes,
        workingSetEntries: entries,
        tagSets: tag === null ? null : { tagPattern: 'sheet', bytes: tag },
        samplingRate: 1,
        routes: [
          { route: `/${pattern}`, p95Seconds: 0.1, meanSeconds: 0.1, requestsPerMin: 1_000 },
        ],
      },
    ],
    RULES,
  );
  if (!c) throw new Error('no candidate');
  return c;
}

describe('curveOf / hitRatioAt / sizeForHitRatio', () => {
  it('adds SHARDS_adj to every size, keeps the curve cumulative and interpolates both ways', () => {
    const c = curveOf(
      [
        [2_000, 40],
        [1_000, 10],
        [4_000, 39], // counter noise across pods: clamped to the running best
      ],
      90,
      100,
    );
    expect(c).toEqual([
      { sizeBytes: 0, hitRatio: 0 },
      { sizeBytes: 1_000, hitRatio: 0.2 },
      { sizeBytes: 2_000, hitRatio: 0.5 },
      { sizeBytes: 4_000, hitRatio: 0.5 },
    ]);
    expect(hitRatioAt(c, 1_500)).toBeCloseTo(0.35, 9);
    expect(hitRatioAt(c, 10_000)).toBe(0.5);
    expect(sizeForHitRatio(c, 0.35)).toBe(1_500);
    expect(sizeForHitRatio(c, 0.9)).toBeNull();
    expect(curveOf([[1, 1]], 0, 0)).toEqual([]);
  });
});

describe('sizeRedis', () => {
  it('counts tag sets shared by patterns of one owner once, and predicts used_memory when all fits', () => {
    const a = candidate('sheet', 400 * KiB, 1_000, 100 * KiB);
    const b = candidate('rows', 900 * KiB, 800, 80 * KiB);
    const z = sizeRedis([a, b], { headroom: 1.5, baselineBytes: 1_000_000, pods: 0 });
    if (!z) throw new Error('no sizing');
    // Knee at 0.78 of 0.8: 97.5 % of each working set; rows' tag sets are sheet's (kept).
    const rec = Math.ceil(400 * KiB * 0.975) + Math.ceil(900 * KiB * 0.975) - 80 * KiB * 0.975;
    const stale = 1 + REDIS_STALE_FRACTION;
    expect(z.dataBytes).toBeCloseTo(rec * stale, -1);
    expect(z.evicting).toBe(false);
    const tables = dictBucketBytes((1_000 + 800 + 1_000) * stale);
    expect(z.predictedUsedMemoryBytes).toBe(
      Math.round(1_000_000 + tables + (1_300 - 80) * KiB * stale),
    );
    expect(z.maxmemoryBytes % 65_536).toBe(0);
    expect(z.maxmemoryBytes).toBeGreaterThanOrEqual(
      1.5 * (1_000_000 + z.hashTableBytes + z.dataBytes),
    );
    expect(z.shares.map((s) => s.expectedHitRatio)).toEqual([0.8, 0.8]);
    expect(z.maxmemoryPolicy).toBe('allkeys-lru');
  });

  it('says Redis will evict when the working sets exceed maxmemory, and lowers the expected hit ratio', () => {
    const c = candidate('rows', 10 * 1_048_576, 5_000, null);
    const z = sizeRedis([c], { headroom: 0.5, baselineBytes: 1_000_000, pods: 0 });
    if (!z) throw new Error('no sizing');
    expect(z.evicting).toBe(true);
    expect(z.predictedUsedMemoryBytes).toBe(z.maxmemoryBytes);
    expect(z.shares[0]?.expectedHitRatio).toBeLessThan(0.8);
    expect(z.shares[0]?.expectedHitRatio).toBeGreaterThan(0.2);
    expect(sizeRedis([], { headroom: 1.5 })).toBeNull();
  });
});
