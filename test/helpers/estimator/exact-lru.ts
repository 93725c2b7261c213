import { Fenwick } from '../../../service/estimator/fenwick.ts';

interface Entry {
  t: number;
  size: number;
  expiry: number;
  hitFlag: boolean;
}

/**
 * The reference for the estimator's accuracy: exact LRU stack distances over the whole
 * trace (every key, no sampling), O(log n) per access with a Fenwick tree over event
 * numbers. Same cache model as `ShardsMrc` (read-through, TTL, delete), so the two differ
 * only by sampling. Memory grows with the trace: for tests and benchmarks only.
 */
export class ExactLru {
  private readonly keys = new Map<string, Entry>();
  private readonly fen: Fenwick;
  private readonly expiries: Array<[number, string]> = [];
  private next = 0;
  private readonly hitEntries: number[] = [];
  private readonly hitBytes: number[] = [];
  private sorted = false;
  private getCount = 0;

  /** `maxEvents`: upper bound on the number of get + set calls. */
  constructor(maxEvents: number) {
    this.fen = new Fenwick(maxEvents);
  }

  get(key: string, nowMs: number): void {
    this.expire(nowMs);
    this.getCount++;
    const e = this.keys.get(key);
    if (e === undefined) return;
    this.hitEntries.push(this.fen.countAfter(e.t) + 1);
    this.hitBytes.push(this.fen.bytesAfter(e.t) + e.size);
    this.sorted = false;
    this.move(e);
    e.hitFlag = true;
  }

  set(key: string, valueBytes: number, ttlMs: number, nowMs: number): void {
    this.expire(nowMs);
    const size = Math.max(0, Math.round(valueBytes));
    const expiry = ttlMs > 0 && Number.isFinite(ttlMs) ? nowMs + ttlMs : Number.POSITIVE_INFINITY;
    const e = this.keys.get(key);
    if (e !== undefined) {
      this.fen.add(e.t, 0, size - e.size);
      e.size = size;
      if (e.hitFlag) {
        e.hitFlag = false;
        return;
      }
      e.expiry = expiry;
      this.pushExpiry(expiry, key);
      this.move(e);
      return;
    }
    const entry: Entry = { t: this.next++, size, expiry, hitFlag: false };
    this.keys.set(key, entry);
    this.fen.add(entry.t, 1, size);
    this.pushExpiry(expiry, key);
  }

  del(key: string, nowMs: number): void {
    this.expire(nowMs);
    const e = this.keys.get(key);
    if (e !== undefined) this.drop(key, e);
  }

  /** Exact hit ratio of an LRU cache of `entries` entries. */
  hitRatioAtEntries(entries: number): number {
    this.sort();
    return countAtMost(this.hitEntries, entries) / Math.max(1, this.getCount);
  }

  /** Exact hit ratio of an LRU cache of `bytes` bytes. */
  hitRatioAtBytes(bytes: number): number {
    this.sort();
    return countAtMost(this.hitBytes, bytes) / Math.max(1, this.getCount);
  }

  /** Live keys and their bytes. */
  workingSet(nowMs: number): { entries: number; bytes: number } {
    this.expire(nowMs);
    return { entries: this.keys.size, bytes: this.fen.totalByteSum };
  }

  private move(e: Entry): void {
    this.fen.add(e.t, -1, -e.size);
    e.t = this.next++;
    this.fen.add(e.t, 1, e.size);
  }

  private drop(key: string, e: Entry): void {
    this.fen.add(e.t, -1, -e.size);
    this.keys.delete(key);
  }

  private sort(): void {
    if (this.sorted) return;
    this.hitEntries.sort((a, b) => a - b);
    this.hitBytes.sort((a, b) => a - b);
    this.sorted = true;
  }

  // A plain binary min-heap with lazy deletion: stale pairs are skipped when popped.
  private pushExpiry(expiry: number, key: string): void {
    if (!Number.isFinite(expiry)) return;
    const h = this.expiries;
    h.push([expiry, key]);
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      const hi = h[i];
      const hp = h[p];
      if (hi === undefined || hp === undefined || hp[0] <= hi[0]) break;
      h[i] = hp;
      h[p] = hi;
      i = p;
    }
  }

  private expire(nowMs: number): void {
    const h = this.expiries;
    for (let top = h[0]; top !== undefined && top[0] <= nowMs; top = h[0]) {
      const last = h.pop();
      if (h.length > 0 && last !== undefined) {
        h[0] = last;
        for (let i = 0; ; ) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if ((h[l]?.[0] ?? Number.POSITIVE_INFINITY) < (h[m]?.[0] ?? 0)) m = l;
          if ((h[r]?.[0] ?? Number.POSITIVE_INFINITY) < (h[m]?.[0] ?? 0)) m = r;
          if (m === i) break;
          const a = h[i];
          const b = h[m];
          if (a === undefined || b === undefined) break;
          h[i] = b;
          h[m] = a;
          i = m;
        }
      }
      const e = this.keys.get(top[1]);
      if (e !== undefined && e.expiry === top[0]) this.drop(top[1], e);
    }
  }
}

function countAtMost(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? 0) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
