import { describe, expect, it } from 'vitest';
import { ACCESSES, BOUND, measure } from './accuracy-measure.ts';
import { type Trace, zipfTrace } from './synthetic-traces.ts';

describe('SHARDS accuracy vs exact LRU on Zipf traces (1 % sampling, 1M accesses)', () => {
  const cases: Array<[string, () => Trace]> = [
    ['Zipf α=0.7', () => zipfTrace(0.7, { accesses: ACCESSES, universe: 1_000_000, seed: 1 })],
    ['Zipf α=1.0', () => zipfTrace(1.0, { accesses: ACCESSES, universe: 1_000_000, seed: 2 })],
    ['Zipf α=1.2', () => zipfTrace(1.2, { accesses: ACCESSES, universe: 1_000_000, seed: 3 })],
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
