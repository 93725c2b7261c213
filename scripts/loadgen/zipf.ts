import { seededRandom } from '../../service/estimator/synthetic-traces.ts';

/** A seeded PRNG (mulberry32, shared with the estimator's synthetic traces). */
export const mulberry32 = seededRandom;

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
