import { Fenwick } from './fenwick.ts';
import { identityHash, samplingHash } from './hash.ts';
import { SizeHistogram } from './histogram.ts';
import { IndexedHeap } from './indexed-heap.ts';
import { SlotTable } from './slot-table.ts';

const P = 2 ** 32;
const INITIAL_SLOTS = 1024;
/** Conservative bytes per tracked key over every array (slot arrays, 2 heaps, table, Fenwick). */
export const BYTES_PER_SLOT = 33 + 2 * 16 + 16 + 2 * (12 + 4);
/** Fixed bytes per estimator: two histograms plus object overhead. */
export const FIXED_BYTES = 2 * new SizeHistogram().byteLength + 2048;
/** Smallest usable `maxBytes` (room for 16 keys); config validation can import it. */
export const MIN_MAX_BYTES = FIXED_BYTES + 16 * BYTES_PER_SLOT;

/** A sampled entry's size: all its bytes, and the part of them that other entries may share. */
export interface EntrySize {
  readonly bytes: number;
  /** Bytes of structures shared with other entries (tag sets), included in `bytes`. */
  readonly sharedBytes: number;
}

/** Options of `ShardsMrc`. */
export interface ShardsOptions {
  /** Memory bound of this estimator in bytes. @default 1_048_576 */
  readonly maxBytes?: number;
  /** Starting sampling rate in (0, 1]; it only falls, to keep within `maxBytes`. @default 1 */
  readonly initialRate?: number;
}

/**
 * Fixed-size SHARDS (Waldspurger et al., FAST 2015) for one key pattern: a key is
 * sampled when its hash is below a threshold T (rate R = T / 2^32); sampled keys live in
 * a Fenwick tree over their last-access time, so a hit's reuse distance is a suffix sum
 * scaled by 1/R. When more than `maxSlots` keys are tracked, T falls to the largest
 * tracked hash and the histograms are rescaled (SHARDS fixed-size); SHARDS_adj corrects
 * the sample count at query time.
 *
 * The model is a read-through LRU cache: `get` scores a hit (present and unexpired) or a
 * miss and does not insert; `set` inserts or refreshes (size, TTL). A `set` right after a
 * `get` the model scored as a hit is the fill an observe-only cache makes on every miss,
 * so it updates the size but not the TTL. Expired and deleted keys leave the stack.
 */
export class ShardsMrc {
  /** Largest number of tracked keys under `maxBytes`. */
  readonly maxSlots: number;
  private threshold: number;
  private cap: number;
  private idA: Uint32Array;
  private idB: Uint32Array;
  private time: Int32Array;
  private size: Float64Array;
  private shared: Float64Array;
  private liveShared = 0;
  private flag: Uint8Array;
  private free: Int32Array;
  private freeTop: number;
  private live = 0;
  private readonly byHash: IndexedHeap;
  private readonly byExpiry: IndexedHeap;
  private readonly table: SlotTable;
  private fen: Fenwick;
  private timeSlot: Int32Array;
  private nextTime = 0;
  private readonly hitsByEntries = new SizeHistogram();
  private readonly hitsByBytes = new SizeHistogram();
  private getsTotal = 0;
  private sampledGets = 0;

  constructor(opts: ShardsOptions = {}) {
    const maxBytes = opts.maxBytes ?? 1_048_576;
    const rate = opts.initialRate ?? 1;
    if (!(rate > 0 && rate <= 1))
      throw new RangeError(`initialRate must be in (0, 1], got ${rate}`);
    this.maxSlots = Math.floor((maxBytes - FIXED_BYTES) / BYTES_PER_SLOT);
    if (this.maxSlots < 16)
      throw new RangeError(`maxBytes ${maxBytes} is too small (need ≥ ${MIN_MAX_BYTES})`);
    this.threshold = Math.round(rate * P);
    this.cap = Math.min(INITIAL_SLOTS, this.maxSlots);
    this.idA = new Uint32Array(this.cap);
    this.idB = new Uint32Array(this.cap);
    this.time = new Int32Array(this.cap);
    this.size = new Float64Array(this.cap);
    this.shared = new Float64Array(this.cap);
    this.flag = new Uint8Array(this.cap);
    this.free = Int32Array.from({ length: this.cap }, (_, i) => this.cap - 1 - i);
    this.freeTop = this.cap;
    this.byHash = new IndexedHeap(this.cap, true);
    this.byExpiry = new IndexedHeap(this.cap, false);
    this.table = new SlotTable(
      this.cap,
      () => this.idA,
      () => this.idB,
    );
    this.fen = new Fenwick(2 * this.cap);
    this.timeSlot = new Int32Array(2 * this.cap).fill(-1);
  }

  /** Sampling rate in force. */
  get rate(): number {
    return this.threshold / P;
  }

  /** Gets observed (sampled or not). */
  get gets(): number {
    return this.getsTotal;
  }

  /** Keys currently tracked (sampled, live). */
  get trackedKeys(): number {
    return this.live;
  }

  /** Bytes held by every array of this estimator, plus a fixed overhead. */
  memoryBytes(): number {
    const slotArrays =
      this.idA.byteLength +
      this.idB.byteLength +
      this.time.byteLength +
      this.size.byteLength +
      this.shared.byteLength;
    return (
      slotArrays +
      this.flag.byteLength +
      this.free.byteLength +
      this.byHash.byteLength +
      this.byExpiry.byteLength +
      this.table.byteLength +
      this.fen.byteLength +
      this.timeSlot.byteLength +
      this.hitsByEntries.byteLength +
      this.hitsByBytes.byteLength +
      2048
    );
  }

  /** A cache read of `key`. */
  get(key: string, nowMs: number): void {
    this.getsTotal++;
    const a = samplingHash(key);
    if (a >= this.threshold) return;
    this.expire(nowMs);
    this.sampledGets++;
    const slot = this.table.find(a, identityHash(key));
    if (slot < 0) return;
    const t = this.time[slot] ?? 0;
    const r = this.rate;
    const own = this.size[slot] ?? 0;
    this.hitsByEntries.add(this.fen.countAfter(t) / r + 1, 1);
    this.hitsByBytes.add(this.fen.bytesAfter(t) / r + own, 1);
    this.touch(slot);
    this.flag[slot] = 1;
  }

  /** Whether `key` is in the spatial sample (its accesses are modelled). */
  isSampled(key: string): boolean {
    return samplingHash(key) < this.threshold;
  }

  /**
   * A cache write of `key` with an entry of `valueBytes` bytes living `ttlMs` (≤ 0 or ∞: no
   * expiry). A function for `valueBytes` is called only when the key is sampled; it may
   * also say how many of those bytes are shared with other entries (tag sets).
   */
  set(
    key: string,
    valueBytes: number | (() => number | EntrySize),
    ttlMs: number,
    nowMs: number,
  ): void {
    const a = samplingHash(key);
    if (a >= this.threshold) return;
    this.expire(nowMs);
    const b = identityHash(key);
    const sized = typeof valueBytes === 'function' ? valueBytes() : valueBytes;
    const size = typeof sized === 'number' ? sized : sized.bytes;
    const bytes = Number.isFinite(size) ? Math.max(0, Math.round(size)) : 0;
    const sharedRaw = typeof sized === 'number' ? 0 : sized.sharedBytes;
    const shared = Number.isFinite(sharedRaw) ? Math.min(bytes, Math.max(0, sharedRaw)) : 0;
    const expiry = ttlMs > 0 && Number.isFinite(ttlMs) ? nowMs + ttlMs : Number.POSITIVE_INFINITY;
    let slot = this.table.find(a, b);
    if (slot >= 0) {
      this.resize(slot, bytes);
      this.liveShared += shared - (this.shared[slot] ?? 0);
      this.shared[slot] = shared;
      if (this.flag[slot] === 1) this.flag[slot] = 0;
      else {
        this.byExpiry.set(slot, expiry);
        this.touch(slot);
      }
      return;
    }
    if (this.live >= this.maxSlots) {
      const top = this.byHash.top();
      if (a >= this.byHash.keyOf(top)) {
        this.lowerThreshold(a);
        return;
      }
      this.lowerThreshold(this.byHash.keyOf(top));
    }
    if (this.freeTop === 0) this.grow();
    slot = this.free[--this.freeTop] ?? 0;
    this.idA[slot] = a;
    this.idB[slot] = b;
    this.size[slot] = bytes;
    this.shared[slot] = shared;
    this.liveShared += shared;
    this.flag[slot] = 0;
    this.table.insert(slot);
    this.byHash.set(slot, a);
    this.byExpiry.set(slot, expiry);
    this.live++;
    this.place(slot);
  }

  /** A delete of `key`: it leaves the modelled cache. */
  del(key: string, nowMs: number): void {
    const a = samplingHash(key);
    if (a >= this.threshold) return;
    this.expire(nowMs);
    const slot = this.table.find(a, identityHash(key));
    if (slot >= 0) this.removeSlot(slot);
  }

  /** Drops keys whose TTL ended at or before `nowMs`. */
  expire(nowMs: number): void {
    for (
      let top = this.byExpiry.top();
      top >= 0 && this.byExpiry.keyOf(top) <= nowMs;
      top = this.byExpiry.top()
    ) {
      this.removeSlot(top);
    }
  }

  /** Estimated hit ratio of an LRU cache of `entries` entries (null before any get). */
  hitRatioAtEntries(entries: number): number | null {
    return this.ratio(this.hitsByEntries.atMost(entries), entries >= 1);
  }

  /** Estimated hit ratio of an LRU cache of `bytes` bytes (null before any get). */
  hitRatioAtBytes(bytes: number): number | null {
    return this.ratio(this.hitsByBytes.atMost(bytes), bytes > 0);
  }

  /**
   * `hitRatioAtEntries` at every size of `sizes` (any order; same values) in one pass over
   * the histogram: what a scrape needs for the configured sizes.
   */
  hitRatiosAtEntries(sizes: readonly number[]): (number | null)[] {
    return this.ratios(this.hitsByEntries, sizes, (s) => s >= 1);
  }

  /** `hitRatioAtBytes` at every size of `sizes` (any order; same values), in one pass. */
  hitRatiosAtBytes(sizes: readonly number[]): (number | null)[] {
    return this.ratios(this.hitsByBytes, sizes, (s) => s > 0);
  }

  private ratios(
    h: SizeHistogram,
    sizes: readonly number[],
    any: (size: number) => boolean,
  ): (number | null)[] {
    if (this.getsTotal === 0) return sizes.map(() => null);
    const { order, ascending } = ascendingOf(sizes);
    const hits = h.atMostMany(ascending);
    const out = new Array<number | null>(sizes.length);
    for (let k = 0; k < order.length; k++) {
      const i = order[k] ?? 0;
      out[i] = this.ratio(hits[k] ?? 0, any(ascending[k] ?? 0));
    }
    return out;
  }

  /**
   * Estimated live keys, their bytes and the shared part of those bytes (sizes seen at set),
   * after expiring at `nowMs`.
   */
  workingSet(nowMs: number): { entries: number; bytes: number; sharedBytes: number } {
    this.expire(nowMs);
    return {
      entries: this.live / this.rate,
      bytes: this.fen.totalByteSum / this.rate,
      sharedBytes: this.liveShared / this.rate,
    };
  }

  /**
   * Cumulative counts since start, scaled to the whole key space: gets of sampled keys
   * (`gets`), and of those, the gets that hit in an LRU cache of each of `sizesBytes`
   * (ascending). Both only grow (a threshold drop rescales the sample and the scale
   * together), so they can be exported as counters and differenced over any window.
   */
  cumulativeByBytes(sizesBytes: readonly number[]): { gets: number; hits: number[] } {
    const r = this.rate;
    return {
      gets: this.sampledGets / r,
      hits: this.hitsByBytes.atMostMany(sizesBytes).map((h) => h / r),
    };
  }

  /** Largest size (entries, bytes) at which a hit was seen: where the curves flatten. */
  maxUsefulSize(): { entries: number; bytes: number } {
    return { entries: this.hitsByEntries.maxSize(), bytes: this.hitsByBytes.maxSize() };
  }

  private ratio(hits: number, any: boolean): number | null {
    if (this.getsTotal === 0) return null;
    const expected = this.getsTotal * this.rate;
    // SHARDS_adj: hot keys make the sampled share of gets differ from R; the paper puts
    // the difference in the first bucket (those gets are almost all short-distance hits).
    const adjusted = hits + (any ? expected - this.sampledGets : 0);
    return Math.min(1, Math.max(0, adjusted / expected));
  }

  private lowerThreshold(newThreshold: number): void {
    const factor = newThreshold / this.threshold;
    this.threshold = newThreshold;
    this.hitsByEntries.scale(factor);
    this.hitsByBytes.scale(factor);
    this.sampledGets *= factor;
    for (
      let top = this.byHash.top();
      top >= 0 && this.byHash.keyOf(top) >= newThreshold;
      top = this.byHash.top()
    ) {
      this.removeSlot(top);
    }
  }

  private removeSlot(slot: number): void {
    const t = this.time[slot] ?? 0;
    this.fen.add(t, -1, -(this.size[slot] ?? 0));
    this.liveShared -= this.shared[slot] ?? 0;
    this.shared[slot] = 0;
    this.timeSlot[t] = -1;
    this.table.remove(slot);
    this.byHash.remove(slot);
    this.byExpiry.remove(slot);
    this.free[this.freeTop++] = slot;
    this.live--;
  }

  private resize(slot: number, bytes: number): void {
    this.fen.add(this.time[slot] ?? 0, 0, bytes - (this.size[slot] ?? 0));
    this.size[slot] = bytes;
  }

  private touch(slot: number): void {
    const t = this.time[slot] ?? 0;
    this.fen.add(t, -1, -(this.size[slot] ?? 0));
    this.timeSlot[t] = -1;
    this.place(slot);
  }

  /** Gives `slot` the newest timestamp, renumbering timestamps when they run out. */
  private place(slot: number): void {
    if (this.nextTime >= this.fen.capacity) this.compact(this.fen.capacity);
    const t = this.nextTime++;
    this.time[slot] = t;
    this.timeSlot[t] = slot;
    this.fen.add(t, 1, this.size[slot] ?? 0);
  }

  private compact(fenCapacity: number): void {
    const order = new Int32Array(this.live);
    let n = 0;
    for (let t = 0; t < this.nextTime; t++) {
      const s = this.timeSlot[t] ?? -1;
      if (s >= 0) order[n++] = s;
    }
    if (fenCapacity !== this.fen.capacity) this.fen = new Fenwick(fenCapacity);
    if (fenCapacity === this.timeSlot.length) this.timeSlot.fill(-1);
    else this.timeSlot = new Int32Array(fenCapacity).fill(-1);
    const sizes = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      const s = order[t] ?? 0;
      this.time[s] = t;
      this.timeSlot[t] = s;
      sizes[t] = this.size[s] ?? 0;
    }
    this.fen.rebuild(sizes, n);
    this.nextTime = n;
  }

  private grow(): void {
    const old = this.cap;
    this.cap = Math.min(2 * old, this.maxSlots);
    const widen = <A extends Uint32Array | Int32Array | Float64Array | Uint8Array>(
      src: A,
      make: (n: number) => A,
    ): A => {
      const dst = make(this.cap);
      dst.set(src);
      return dst;
    };
    this.idA = widen(this.idA, (n) => new Uint32Array(n));
    this.idB = widen(this.idB, (n) => new Uint32Array(n));
    this.time = widen(this.time, (n) => new Int32Array(n));
    this.size = widen(this.size, (n) => new Float64Array(n));
    this.shared = widen(this.shared, (n) => new Float64Array(n));
    this.flag = widen(this.flag, (n) => new Uint8Array(n));
    this.free = new Int32Array(this.cap);
    this.freeTop = 0;
    for (let s = this.cap - 1; s >= old; s--) this.free[this.freeTop++] = s;
    this.byHash.grow(this.cap);
    this.byExpiry.grow(this.cap);
    this.table.rebuild(
      this.cap,
      Array.from({ length: old }, (_, i) => i),
    );
    this.compact(2 * this.cap);
  }
}

/** `sizes` sorted, and where each came from; cached per array (the configured sizes). */
const ascendingCache = new WeakMap<
  readonly number[],
  { readonly order: readonly number[]; readonly ascending: readonly number[] }
>();
function ascendingOf(sizes: readonly number[]) {
  let known = ascendingCache.get(sizes);
  if (known === undefined) {
    const order = sizes.map((_, i) => i).sort((a, b) => (sizes[a] ?? 0) - (sizes[b] ?? 0));
    known = { order, ascending: order.map((i) => sizes[i] ?? 0) };
    ascendingCache.set(sizes, known);
  }
  return known;
}
