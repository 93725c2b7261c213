import { describe, expect, it } from 'vitest';
import { Fenwick } from './fenwick.ts';
import { HISTOGRAM_BUCKETS, SizeHistogram } from './histogram.ts';
import { IndexedHeap } from './indexed-heap.ts';
import { SlotTable } from './slot-table.ts';
import { seededRandom } from './synthetic-traces.ts';

describe('Fenwick', () => {
  it('suffix counts and bytes match a brute-force array under random updates and rebuilds', () => {
    const rnd = seededRandom(7);
    const n = 300;
    const f = new Fenwick(n);
    const counts = new Array<number>(n).fill(0);
    const bytes = new Array<number>(n).fill(0);
    for (let step = 0; step < 5_000; step++) {
      const t = Math.floor(rnd() * n);
      const b = Math.floor(rnd() * 1000);
      f.add(t, 1, b);
      counts[t] = (counts[t] ?? 0) + 1;
      bytes[t] = (bytes[t] ?? 0) + b;
      const q = Math.floor(rnd() * n);
      const sum = (a: number[]) => a.slice(q + 1).reduce((x, y) => x + y, 0);
      expect(f.countAfter(q)).toBe(sum(counts));
      expect(f.bytesAfter(q)).toBe(sum(bytes));
    }
    const sizes = Float64Array.from({ length: 50 }, (_, i) => i * 3);
    f.rebuild(sizes, 50);
    for (let q = -1; q < 60; q++) {
      expect(f.countAfter(q)).toBe(Math.max(0, 50 - (q + 1)));
      expect(f.bytesAfter(q)).toBe(Array.from(sizes.slice(q + 1)).reduce((x, y) => x + y, 0));
    }
  });
});

describe('IndexedHeap', () => {
  it('keeps the max on top through inserts, updates and arbitrary removals', () => {
    const rnd = seededRandom(3);
    const h = new IndexedHeap(64, true);
    const model = new Map<number, number>();
    for (let step = 0; step < 5_000; step++) {
      const slot = Math.floor(rnd() * 64);
      if (rnd() < 0.4) {
        h.remove(slot);
        model.delete(slot);
      } else {
        const key = Math.floor(rnd() * 1e6);
        h.set(slot, key);
        model.set(slot, key);
      }
      expect(h.size).toBe(model.size);
      const best = Math.max(-1, ...model.values());
      expect(h.top() < 0 ? -1 : h.keyOf(h.top())).toBe(best);
    }
  });
});

describe('SlotTable', () => {
  it('finds every inserted slot and nothing else after random inserts and removals', () => {
    const rnd = seededRandom(11);
    const cap = 500;
    const idA = new Uint32Array(cap);
    // Few distinct home buckets, so probing chains and backward shifts are exercised.
    const idB = Uint32Array.from({ length: cap }, () => Math.floor(rnd() * 40));
    for (let s = 0; s < cap; s++) idA[s] = s * 7919;
    const t = new SlotTable(
      cap,
      () => idA,
      () => idB,
    );
    const present = new Set<number>();
    for (let step = 0; step < 10_000; step++) {
      const s = Math.floor(rnd() * cap);
      if (present.has(s)) {
        t.remove(s);
        present.delete(s);
      } else {
        t.insert(s);
        present.add(s);
      }
      const q = Math.floor(rnd() * cap);
      expect(t.find(idA[q] ?? 0, idB[q] ?? 0)).toBe(present.has(q) ? q : -1);
    }
  });
});

describe('SizeHistogram', () => {
  it('is exact at integer sizes up to 64 and interpolates within a bucket above', () => {
    const h = new SizeHistogram();
    for (let x = 1; x <= 64; x++) h.add(x, 1);
    for (let x = 1; x <= 64; x++) expect(h.atMost(x)).toBe(x);
    h.add(1000, 10);
    expect(h.atMost(999)).toBeLessThan(74);
    expect(h.atMost(1030)).toBe(74);
    expect(h.total).toBe(74);
    h.scale(0.5);
    expect(h.atMost(1e9)).toBe(37);
    expect(h.byteLength).toBe(HISTOGRAM_BUCKETS * 8);
  });
});

describe('SizeHistogram.atMostMany', () => {
  it('equals atMost at every size of an ascending list, in one pass', () => {
    const h = new SizeHistogram();
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 5_000; i++) h.add(2 ** (rnd() * 30), 1 + rnd());
    h.scale(0.37);
    const sizes = [0, 0.5, 1, 63.5, 64, 65, 1_000, 12_345, 2 ** 20, 2 ** 29.5, 2 ** 31, 2 ** 40];
    const many = h.atMostMany(sizes);
    for (const [i, s] of sizes.entries()) expect(many[i]).toBeCloseTo(h.atMost(s), 6);
  });
});
