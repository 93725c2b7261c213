/**
 * A histogram of "cache size needed for a hit" (reuse distance + 1, in entries or bytes)
 * with fixed memory: 64 unit-wide buckets, then 32 geometric buckets per doubling
 * (≈ 2.2 % wide) up to 64·2^48. Queries interpolate linearly inside a bucket.
 */
const LINEAR = 64;
const PER_OCTAVE = 32;
const OCTAVES = 48;
/** Number of buckets of every histogram. */
export const HISTOGRAM_BUCKETS = LINEAR + PER_OCTAVE * OCTAVES;

function edgeOf(i: number): number {
  return i <= LINEAR ? i : LINEAR * 2 ** ((i - LINEAR) / PER_OCTAVE);
}

// Bucket i spans [EDGES[i], EDGES[i + 1]); computed once, so queries do no Math.pow.
const EDGES = Float64Array.from({ length: HISTOGRAM_BUCKETS + 1 }, (_, i) => edgeOf(i));

function lowerEdge(i: number): number {
  return EDGES[i] ?? 0;
}

function upperEdge(i: number): number {
  return EDGES[i + 1] ?? Number.POSITIVE_INFINITY;
}

function bucketOf(x: number): number {
  if (x <= LINEAR) return Math.max(0, Math.ceil(x) - 1);
  const i = LINEAR + Math.ceil(PER_OCTAVE * Math.log2(x / LINEAR)) - 1;
  return Math.min(HISTOGRAM_BUCKETS - 1, Math.max(LINEAR, i));
}

export class SizeHistogram {
  private readonly w = new Float64Array(HISTOGRAM_BUCKETS);
  private sum = 0;
  private top = -1;
  // Buckets hold weight / unit: rescaling (every SHARDS threshold drop) is O(1).
  private unit = 1;

  /** Bytes held by the buckets. */
  get byteLength(): number {
    return this.w.byteLength;
  }

  /** Total weight recorded. */
  get total(): number {
    return this.sum * this.unit;
  }

  /** Records weight `weight` at size `x` (x ≥ 0). */
  add(x: number, weight: number): void {
    const i = bucketOf(x);
    const stored = weight / this.unit;
    this.w[i] = (this.w[i] ?? 0) + stored;
    this.sum += stored;
    if (i > this.top) this.top = i;
  }

  /** Multiplies every bucket by `factor` (the sampling rate fell). */
  scale(factor: number): void {
    this.unit *= factor;
  }

  /** Weight recorded at sizes ≤ `size`. */
  atMost(size: number): number {
    let s = 0;
    for (let i = 0; i <= this.top; i++) {
      const lo = lowerEdge(i);
      if (lo >= size) break;
      const hi = upperEdge(i);
      const wi = this.w[i] ?? 0;
      s += hi <= size ? wi : (wi * (size - lo)) / (hi - lo);
    }
    return s * this.unit;
  }

  /**
   * `atMost` at every size of `sizes` (ascending) in one pass over the buckets: what a
   * scrape needs for a whole curve, at the cost of one `atMost`.
   */
  atMostMany(sizes: readonly number[]): number[] {
    const out: number[] = [];
    let i = 0;
    let below = 0; // weight of buckets entirely below the current size
    for (const size of sizes) {
      while (i <= this.top && upperEdge(i) <= size) below += this.w[i++] ?? 0;
      let s = below;
      if (i <= this.top) {
        const lo = lowerEdge(i);
        if (lo < size) s += ((this.w[i] ?? 0) * (size - lo)) / (upperEdge(i) - lo);
      }
      out.push(s * this.unit);
    }
    return out;
  }

  /** The upper edge of the largest non-empty bucket (0 when empty). */
  maxSize(): number {
    return this.top < 0 ? 0 : upperEdge(this.top);
  }
}
