/**
 * A Fenwick (binary indexed) tree over access timestamps holding, per timestamp, a key
 * count (0/1) and that key's bytes. Suffix sums give a reuse distance in O(log n):
 * the number (and bytes) of distinct keys touched more recently than a timestamp.
 */
export class Fenwick {
  readonly capacity: number;
  private readonly counts: Int32Array;
  private readonly bytes: Float64Array;
  private totalCount = 0;
  private totalBytes = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.counts = new Int32Array(capacity + 1);
    this.bytes = new Float64Array(capacity + 1);
  }

  /** Bytes held by the tree's arrays. */
  get byteLength(): number {
    return this.counts.byteLength + this.bytes.byteLength;
  }

  /** Adds `count` keys and `bytes` at timestamp `t` (0-based; negative values remove). */
  add(t: number, count: number, bytes: number): void {
    this.totalCount += count;
    this.totalBytes += bytes;
    for (let i = t + 1; i <= this.capacity; i += i & -i) {
      this.counts[i] = (this.counts[i] ?? 0) + count;
      this.bytes[i] = (this.bytes[i] ?? 0) + bytes;
    }
  }

  /** Keys with a timestamp strictly greater than `t`. */
  countAfter(t: number): number {
    let s = 0;
    for (let i = t + 1; i > 0; i -= i & -i) s += this.counts[i] ?? 0;
    return this.totalCount - s;
  }

  /** Bytes of the keys with a timestamp strictly greater than `t`. */
  bytesAfter(t: number): number {
    let s = 0;
    for (let i = t + 1; i > 0; i -= i & -i) s += this.bytes[i] ?? 0;
    return this.totalBytes - s;
  }

  /** Keys held. */
  get count(): number {
    return this.totalCount;
  }

  /** Bytes held. */
  get totalByteSum(): number {
    return this.totalBytes;
  }

  /**
   * Replaces the content with one key per timestamp `0..sizes.length-1` in O(n)
   * (used after renumbering timestamps, so they never outgrow the capacity).
   */
  rebuild(sizes: Float64Array, n: number): void {
    this.counts.fill(0);
    this.bytes.fill(0);
    this.totalCount = n;
    this.totalBytes = 0;
    for (let t = 0; t < n; t++) {
      const b = sizes[t] ?? 0;
      this.totalBytes += b;
      this.counts[t + 1] = (this.counts[t + 1] ?? 0) + 1;
      this.bytes[t + 1] = (this.bytes[t + 1] ?? 0) + b;
    }
    for (let i = 1; i <= this.capacity; i++) {
      const parent = i + (i & -i);
      if (parent <= this.capacity) {
        this.counts[parent] = (this.counts[parent] ?? 0) + (this.counts[i] ?? 0);
        this.bytes[parent] = (this.bytes[parent] ?? 0) + (this.bytes[i] ?? 0);
      }
    }
  }
}
