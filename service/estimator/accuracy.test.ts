import { describe, expect, it } from 'vitest';
import { ExactLru } from './exact-lru.ts';
import { ShardsMrc } from './shards.ts';
import { loopTrace, replay, type Trace, zipfTrace } from './synthetic-traces.ts';

/**
 * SHARDS at 1 % sampling against exact stack distances over 1M accesses. Error is the
 * mean absolute difference of the hit-ratio curves at 100 evenly spaced cache sizes up to
 * the trace's distinct keys (entries) and distinct bytes (bytes), as in the paper.
 */
const ACCESSES = 1_000_000;
const GRID = 100;
const BOUND = 0.02;

function measure(trace: Trace) {
  const exact = new ExactLru(2 * ACCESSES);
  const est = new ShardsMrc({ initialRate: 0.01 });
  replay(trace, exact, est);
  const distinct = new Set(trace.keys);
  let distinctBytes = 0;
  for (const k of distinct) distinctBytes += trace.sizes[k] ?? 0;
  let maeEntries = 0;
  let maeBytes = 0;
  for (let i = 1; i <= GRID; i++) {
    const c = (i * distinct.size) / GRID;
    const b = (i * distinctBytes) / GRID;
    maeEntries +=
      Math.abs((est.hitRatioAtEntries(c) ?? Number.NaN) - exact.hitRatioAtEntries(c)) / GRID;
    maeBytes += Math.abs((est.hitRatioAtBytes(b) ?? Number.NaN) - exact.hitRatioAtBytes(b)) / GRID;
  }
  const end = ACCESSES * trace.stepMs;
  const wsErr = Math.abs(est.workingSet(end).bytes / exact.workingSet(end).bytes - 1);
  console.log(
    `${trace.name}: MAE entries ${maeEntries.toFixed(4)}, bytes ${maeBytes.toFixed(4)}; ` +
      `working-set bytes error ${(100 * wsErr).toFixed(1)} %; rate ${est.rate.toFixed(4)}, ` +
      `${est.trackedKeys} keys tracked, ${est.memoryBytes()} B; exact HR at 10 % of keys ` +
      `${exact.hitRatioAtEntries(distinct.size / 10).toFixed(3)}`,
  );
  return { maeEntries, maeBytes, est };
}

describe('SHARDS accuracy vs exact LRU (1 % sampling, 1M accesses)', () => {
  const cases: Array<[string, () => Trace]> = [
    ['Zipf α=0.7', () => zipfTrace(0.7, { accesses: ACCESSES, universe: 1_000_000, seed: 1 })],
    ['Zipf α=1.0', () => zipfTrace(1.0, { accesses: ACCESSES, universe: 1_000_000, seed: 2 })],
    ['Zipf α=1.2', () => zipfTrace(1.2, { accesses: ACCESSES, universe: 1_000_000, seed: 3 })],
    [
      'looping scan of 50k keys',
      () => loopTrace({ accesses: ACCESSES, universe: 50_000, seed: 4 }),
    ],
    [
      'Zipf α=1.0 with TTLs 30 s/2 min/10 min and 1 % deletes',
      () =>
        zipfTrace(1.0, {
          accesses: ACCESSES,
          universe: 1_000_000,
          seed: 5,
          ttlChoicesMs: [30_000, 120_000, 600_000],
          deleteShare: 0.01,
        }),
    ],
  ];
  for (const [name, make] of cases) {
    it(`${name}: MAE ≤ ${BOUND} in entries and bytes, memory ≤ 1 MiB`, () => {
      const { maeEntries, maeBytes, est } = measure(make());
      expect(maeEntries).toBeLessThanOrEqual(BOUND);
      expect(maeBytes).toBeLessThanOrEqual(BOUND);
      expect(est.memoryBytes()).toBeLessThanOrEqual(1_048_576);
    });
  }
});
