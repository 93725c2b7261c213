import { describe, expect, it } from 'vitest';
import { ExactLru } from '../../test/helpers/estimator/exact-lru.ts';
import { ShardsMrc } from './shards.ts';
import { replay, zipfTrace } from './synthetic-traces.ts';

describe('ShardsMrc cache model', () => {
  it('scores a get before any set as a miss, a get after set as a hit', () => {
    const m = new ShardsMrc();
    m.get('a', 0);
    m.set('a', 40, 0, 0);
    m.get('a', 1);
    expect(m.hitRatioAtEntries(1)).toBe(0.5);
    expect(m.hitRatioAtBytes(39)).toBe(0);
    expect(m.hitRatioAtBytes(40)).toBe(0.5);
  });

  it('counts an access after the TTL as a cold miss and drops the key from the working set', () => {
    const m = new ShardsMrc();
    m.set('a', 10, 1_000, 0);
    m.set('b', 30, 0, 0);
    m.get('a', 999);
    expect(m.hitRatioAtEntries(10)).toBe(1);
    expect(m.workingSet(999)).toEqual({ entries: 2, bytes: 40, sharedBytes: 0 });
    m.get('a', 1_000);
    expect(m.hitRatioAtEntries(10)).toBe(0.5);
    expect(m.workingSet(1_000)).toEqual({ entries: 1, bytes: 30, sharedBytes: 0 });
  });

  it('treats the set after a modelled hit as the read-through fill: the TTL is not extended', () => {
    const m = new ShardsMrc();
    m.set('a', 10, 1_000, 0);
    m.get('a', 900);
    m.set('a', 12, 1_000, 900); // observe-only services set after every get
    m.get('a', 1_100);
    expect(m.hitRatioAtEntries(10)).toBe(0.5);
    m.set('a', 12, 1_000, 1_100); // after a miss the set is a real fill
    m.get('a', 2_000);
    expect(m.hitRatioAtEntries(10)).toBeCloseTo(2 / 3, 10);
  });

  it('removes deleted keys and measures distances in distinct keys and their bytes', () => {
    const m = new ShardsMrc();
    for (const k of ['a', 'b', 'c']) m.set(k, 20, 0, 0);
    m.get('b', 1); // c is more recent: needs 2 entries, 40 bytes
    m.get('b', 2); // needs 1 entry
    m.del('c', 3);
    m.get('a', 4); // b only (c deleted): needs 2 entries, 40 bytes
    m.get('c', 5); // deleted: miss
    expect([1, 2, 3].map((c) => m.hitRatioAtEntries(c))).toEqual([0.25, 0.75, 0.75]);
    expect([19, 20, 39, 40].map((b) => m.hitRatioAtBytes(b))).toEqual([0, 0.25, 0.25, 0.75]);
    expect(m.workingSet(6)).toEqual({ entries: 2, bytes: 40, sharedBytes: 0 });
  });

  it('hitRatiosAt{Entries,Bytes} give exactly what one hitRatioAt call per size gives, sizes in any order', () => {
    const m = new ShardsMrc({ maxBytes: 60_000 });
    const sizes = [0, 1, 7, 64, 65, 100, 3, 1_000_000, 1024, 5_000, 100, 2 ** 40];
    expect(m.hitRatiosAtEntries(sizes)).toEqual(sizes.map(() => null));
    replay(zipfTrace(1.0, { accesses: 40_000, universe: 20_000, seed: 5 }), m);
    expect(m.hitRatiosAtEntries(sizes)).toEqual(sizes.map((s) => m.hitRatioAtEntries(s)));
    expect(m.hitRatiosAtBytes(sizes)).toEqual(sizes.map((s) => m.hitRatioAtBytes(s)));
    expect(m.rate).toBeLessThan(1); // the rescaled (sampled) histograms too
  });

  it('equals the exact simulator at rate 1 (same model, no sampling) on a trace with TTLs and deletes', () => {
    const trace = zipfTrace(0.9, {
      accesses: 30_000,
      universe: 3_000,
      seed: 9,
      ttlChoicesMs: [500, 5_000],
      deleteShare: 0.02,
    });
    const exact = new ExactLru(60_000);
    const est = new ShardsMrc({ initialRate: 1 });
    replay(trace, exact, est);
    expect(est.rate).toBe(1);
    for (let c = 1; c <= 64; c++)
      expect(est.hitRatioAtEntries(c)).toBeCloseTo(exact.hitRatioAtEntries(c), 12);
    // Above 64 the histogram buckets are ~2 % wide: interpolation error only.
    for (const c of [100, 300, 1_000, 2_500])
      expect(Math.abs((est.hitRatioAtEntries(c) ?? 0) - exact.hitRatioAtEntries(c))).toBeLessThan(
        0.003,
      );
    const end = trace.keys.length * trace.stepMs;
    expect(est.workingSet(end)).toEqual({ ...exact.workingSet(end), sharedBytes: 0 });
  });
});

describe('ShardsMrc memory bound', () => {
  it('stays under maxBytes by lowering the sampling rate (fixed-size SHARDS)', () => {
    const maxBytes = 128 * 1024;
    const m = new ShardsMrc({ maxBytes });
    for (let i = 0; i < 300_000; i++) {
      m.get(`k:${i}`, i);
      m.set(`k:${i}`, 500, 0, i);
    }
    expect(m.trackedKeys).toBeLessThanOrEqual(m.maxSlots);
    expect(m.memoryBytes()).toBeLessThanOrEqual(maxBytes);
    expect(m.rate).toBeLessThan(m.maxSlots / 200_000);
    // The estimate of the working set survives the rate drops.
    const ws = m.workingSet(300_000);
    expect(ws.entries / 300_000).toBeGreaterThan(0.85);
    expect(ws.entries / 300_000).toBeLessThan(1.15);
    // All gets were cold misses; what remains is the SHARDS_adj correction's noise.
    expect(m.hitRatioAtEntries(1e9)).toBeLessThan(0.05);
  });

  it('defaults to ≤ 1 MiB and refuses a bound too small to be useful', () => {
    const m = new ShardsMrc();
    for (let i = 0; i < 100_000; i++) m.set(`k:${i}`, 1, 0, 0);
    expect(m.memoryBytes()).toBeLessThanOrEqual(1_048_576);
    expect(() => new ShardsMrc({ maxBytes: 1_000 })).toThrow(/maxBytes 1000 is too small/);
    expect(() => new ShardsMrc({ initialRate: 0 })).toThrow(/initialRate/);
  });
});

describe('ShardsMrc lazy value sizes', () => {
  it('calls a size function only for sampled keys', () => {
    const m = new ShardsMrc({ initialRate: 0.01 });
    let calls = 0;
    for (let i = 0; i < 10_000; i++) {
      m.set(
        `k:${i}`,
        () => {
          calls++;
          return 100;
        },
        0,
        0,
      );
    }
    expect(calls).toBe(m.trackedKeys);
    expect(calls).toBeGreaterThan(50);
    expect(calls).toBeLessThan(200);
    expect(m.workingSet(0).bytes).toBeCloseTo((calls * 100) / m.rate, 6);
  });
});
