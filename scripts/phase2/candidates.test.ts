import { describe, expect, it } from 'vitest';
import { type PatternFacts, rankCandidates, routesByPattern } from './candidates.ts';
import { parseDuration } from './prom-api.ts';

const RULES = {
  minAccessesPerMin: 100,
  minHitRatio: 0.2,
  kneeTolerance: 0.02,
  hitLatencySeconds: 0.002,
};
const MiB = 1_048_576;

function facts(over: Partial<PatternFacts> = {}): PatternFacts {
  return {
    pattern: 'rows',
    accessesPerMin: 1_000,
    curve: [
      { sizeBytes: 0, hitRatio: 0 },
      { sizeBytes: MiB, hitRatio: 0.3 },
      { sizeBytes: 16 * MiB, hitRatio: 0.59 },
      { sizeBytes: 128 * MiB, hitRatio: 0.6 },
    ],
    workingSetBytes: 64 * MiB,
    workingSetEntries: 100_000,
    tagSets: null,
    samplingRate: 0.01,
    routes: [
      { route: '/api/sheets/:id/rows', p95Seconds: 0.9, meanSeconds: 0.502, requestsPerMin: 1_000 },
    ],
    ...over,
  };
}

describe('rankCandidates', () => {
  it('recommends the smallest size within the tolerance of the best, read off the whole curve', () => {
    const [c] = rankCandidates([facts()], RULES);
    // 0.58 = 0.6 − 0.02 is reached between 1 MiB (0.3) and 16 MiB (0.59), not at an exported size.
    const knee = Math.ceil(MiB + ((0.58 - 0.3) / (0.59 - 0.3)) * 15 * MiB);
    expect(c?.recommendedSizeBytes).toBe(knee);
    expect(c?.estimatedHitRatio).toBeCloseTo(0.58, 6);
    expect(c?.maxHitRatio).toBe(0.6);
    expect(c?.memoryBytes).toBe(knee);
    expect(c?.latencySavedSecondsPerMin).toBeCloseTo(1_000 * 0.58 * 0.5, 3);
    expect(c?.qualifies).toBe(true);
  });

  it('needs only the working set when it is smaller, and then expects the best hit ratio', () => {
    const [c] = rankCandidates([facts({ workingSetBytes: 3 * MiB })], RULES);
    expect(c?.memoryBytes).toBe(3 * MiB);
    expect(c?.estimatedHitRatio).toBe(0.6);
  });

  it('names every reason a pattern falls short', () => {
    const [c] = rankCandidates(
      [facts({ pattern: 'other', accessesPerMin: 10, curve: [], routes: [] })],
      RULES,
    );
    expect(c?.qualifies).toBe(false);
    expect(c?.reasons).toEqual([
      '"other" folds unrelated keys together and cannot be whitelisted',
      '10.0 accesses/min < 100',
      'no hit-ratio estimate in the window (estimator gauges missing)',
      'no route in the routes table reads this pattern',
    ]);
  });

  it('weights the route mean by requests and ranks by latency saved', () => {
    const slow = facts({
      pattern: 'formula',
      accessesPerMin: 300,
      routes: [
        { route: 'a', p95Seconds: 1, meanSeconds: 1.002, requestsPerMin: 100 },
        { route: 'b', p95Seconds: 2, meanSeconds: 3.002, requestsPerMin: 300 },
      ],
    });
    const ranked = rankCandidates([facts(), slow], RULES);
    expect(ranked.map((c) => c.pattern)).toEqual(['formula', 'rows']);
    expect(ranked[0]?.routeMeanSeconds).toBeCloseTo(2.502, 9);
    expect(ranked[0]?.routeP95Seconds).toBe(2);
  });
});

describe('routesByPattern', () => {
  it('maps each key pattern to the GET routes that read through it (from the routes table)', () => {
    const m = routesByPattern();
    expect(m.get('rows')).toEqual(['/api/sheets/:id/rows']);
    expect(m.get('sheet')).toEqual(['/api/sheets/:id']);
    expect(m.get('user')).toEqual(['/api/users/:id']);
  });
});

describe('parseDuration', () => {
  it('reads Prometheus-style durations and rejects others by name', () => {
    expect(parseDuration('7d')).toBe(604_800);
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('2w')).toBe(1_209_600);
    expect(() => parseDuration('7days')).toThrow(/invalid duration "7days"/);
  });
});
