import { describe, expect, it } from 'vitest';
import { ACCESSES, measure } from './accuracy-measure.ts';
import { zipfTrace } from './synthetic-traces.ts';

describe('SHARDS accuracy in the service default (fixed size: rate starts at 1, 1 MiB)', () => {
  it('Zipf α=0.7 over 1M keys: the rate falls to fit 1 MiB and MAE stays ≤ 0.01', () => {
    const trace = zipfTrace(0.7, { accesses: ACCESSES, universe: 1_000_000, seed: 1 });
    const { maeEntries, maeBytes, est } = measure(trace, {});
    expect(est.rate).toBeLessThan(0.05);
    expect(est.trackedKeys).toBeLessThanOrEqual(est.maxSlots);
    expect(est.memoryBytes()).toBeLessThanOrEqual(1_048_576);
    expect(maeEntries).toBeLessThanOrEqual(0.01);
    expect(maeBytes).toBeLessThanOrEqual(0.01);
  });
});
