import { describe, expect, it } from 'vitest';
import { ACCESSES, BOUND, measure } from '../../test/helpers/estimator/accuracy-measure.ts';
import { loopTrace, type Trace, zipfTrace } from './synthetic-traces.ts';

describe('SHARDS accuracy vs exact LRU on Zipf 1.2, a loop and a TTL mix (1 % sampling, 1M accesses)', () => {
  const cases: Array<[string, () => Trace]> = [
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
