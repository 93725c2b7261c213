/** A seeded PRNG (mulberry32): deterministic runs for tests and benchmarks. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Samples ranks 1..n with P(k) ∝ 1/k^alpha (Zipf) by inverting a precomputed CDF
 * (binary search, O(log n) per sample).
 */
export function zipfSampler(n: number, alpha: number, random: () => number): () => number {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`zipf n must be a positive integer, got ${n}`);
  if (!(alpha >= 0)) throw new RangeError(`zipf alpha must be >= 0, got ${alpha}`);
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 1; k <= n; k++) {
    sum += 1 / k ** alpha;
    cdf[k - 1] = sum;
  }
  return () => {
    const u = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cdf[mid] ?? sum) < u) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}
