import { describe, expect, it } from 'vitest';
import {
  ACCESSES,
  BOUND,
  measure,
  measureMany,
} from '../../test/helpers/estimator/accuracy-measure.ts';
import { zipfTrace } from './synthetic-traces.ts';

describe('SHARDS accuracy vs exact LRU on Zipf traces (1M accesses over 1M keys)', () => {
  it(`Zipf α=0.7: MAE ≤ ${BOUND} at 1 % sampling, ≤ 0.01 in the default fixed-size mode (rate 1 falling to fit 1 MiB)`, () => {
    const trace = zipfTrace(0.7, { accesses: ACCESSES, universe: 1_000_000, seed: 1 });
    const [fixedRate, fixedSize] = measureMany(trace, [{ initialRate: 0.01 }, {}]);
    expect(fixedRate?.maeEntries).toBeLessThanOrEqual(BOUND);
    expect(fixedRate?.maeBytes).toBeLessThanOrEqual(BOUND);
    expect(fixedSize?.est.rate).toBeLessThan(0.05);
    expect(fixedSize?.maeEntries).toBeLessThanOrEqual(0.01);
    expect(fixedSize?.maeBytes).toBeLessThanOrEqual(0.01);
    for (const r of [fixedRate, fixedSize]) {
      expect(r?.est.trackedKeys).toBeLessThanOrEqual(r?.est.maxSlots ?? 0);
      expect(r?.est.memoryBytes()).toBeLessThanOrEqual(1_048_576);
    }
  });

  it(`Zipf α=1.0: MAE ≤ ${BOUND} in entries and bytes at 1 % sampling, memory ≤ 1 MiB`, () => {
    const { maeEntries, maeBytes, est } = measure(
      zipfTrace(1.0, { accesses: ACCESSES, universe: 1_000_000, seed: 2 }),
    );
    expect(maeEntries).toBeLessThanOrEqual(BOUND);
    expect(maeBytes).toBeLessThanOrEqual(BOUND);
    expect(est.memoryBytes()).toBeLessThanOrEqual(1_048_576);
  });
});
