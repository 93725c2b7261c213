/**
 * A binary heap of slot numbers (0..capacity-1) with a key per slot and O(log n)
 * removal of any slot, because SHARDS removes keys that are deleted or expire, not only
 * the top one. `max: true` keeps the largest key on top.
 */
export class IndexedHeap {
  private heap: Int32Array;
  private pos: Int32Array;
  private keys: Float64Array;
  private n = 0;
  private readonly sign: number;

  constructor(capacity: number, max: boolean) {
    this.heap = new Int32Array(capacity);
    this.pos = new Int32Array(capacity).fill(-1);
    this.keys = new Float64Array(capacity);
    this.sign = max ? -1 : 1;
  }

  /** Bytes held by the heap's arrays. */
  get byteLength(): number {
    return this.heap.byteLength + this.pos.byteLength + this.keys.byteLength;
  }

  get size(): number {
    return this.n;
  }

  /** The slot on top, or -1 when empty. */
  top(): number {
    return this.n > 0 ? (this.heap[0] ?? -1) : -1;
  }

  /** The key of `slot` (meaningful while the slot is in the heap). */
  keyOf(slot: number): number {
    return this.keys[slot] ?? Number.NaN;
  }

  has(slot: number): boolean {
    return (this.pos[slot] ?? -1) >= 0;
  }

  /** Inserts `slot` with `key`, or moves it when it is already in the heap. */
  set(slot: number, key: number): void {
    this.keys[slot] = key;
    const p = this.pos[slot] ?? -1;
    if (p >= 0) {
      this.siftUp(p);
      this.siftDown(this.pos[slot] ?? p);
      return;
    }
    this.heap[this.n] = slot;
    this.pos[slot] = this.n;
    this.n++;
    this.siftUp(this.n - 1);
  }

  /** Removes `slot` when present. */
  remove(slot: number): void {
    const p = this.pos[slot] ?? -1;
    if (p < 0) return;
    this.n--;
    const last = this.heap[this.n] ?? -1;
    this.pos[slot] = -1;
    if (p === this.n) return;
    this.heap[p] = last;
    this.pos[last] = p;
    this.siftUp(p);
    this.siftDown(this.pos[last] ?? p);
  }

  /** Reallocates for a larger capacity, keeping the content. */
  grow(capacity: number): void {
    const heap = new Int32Array(capacity);
    heap.set(this.heap);
    const pos = new Int32Array(capacity).fill(-1);
    pos.set(this.pos);
    const keys = new Float64Array(capacity);
    keys.set(this.keys);
    this.heap = heap;
    this.pos = pos;
    this.keys = keys;
  }

  private less(a: number, b: number): boolean {
    return this.sign * (this.keys[a] ?? 0) < this.sign * (this.keys[b] ?? 0);
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i] ?? 0;
    const b = this.heap[j] ?? 0;
    this.heap[i] = b;
    this.heap[j] = a;
    this.pos[b] = i;
    this.pos[a] = j;
  }

  private siftUp(i0: number): void {
    let i = i0;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.heap[i] ?? 0, this.heap[parent] ?? 0)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i0: number): void {
    let i = i0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.n) return;
      const r = l + 1;
      let m = l;
      if (r < this.n && this.less(this.heap[r] ?? 0, this.heap[l] ?? 0)) m = r;
      if (!this.less(this.heap[m] ?? 0, this.heap[i] ?? 0)) return;
      this.swap(i, m);
      i = m;
    }
  }
}
