/** A point of a hit-ratio curve: the hit ratio of an LRU cache of `sizeBytes` Redis bytes. */
export interface CurvePoint {
  readonly sizeBytes: number;
  readonly hitRatio: number;
}

/**
 * The curve of one pattern over a window, from the estimator's counters summed across pods:
 * `hitsAt[size]` modelled hits, `estimatedGets` modelled gets, `gets` real gets. SHARDS_adj:
 * real minus modelled gets (hot keys sampled more or less than their share) count as hits
 * at every size, as the paper does with its first bucket. Ascending by size, from (0, 0).
 */
export function curveOf(
  hitsAt: ReadonlyArray<readonly [number, number]>,
  estimatedGets: number,
  gets: number,
): CurvePoint[] {
  if (!(gets > 0)) return [];
  const adj = Math.max(0, gets - estimatedGets);
  const points = [...hitsAt]
    .filter(([s, h]) => Number.isFinite(s) && Number.isFinite(h))
    .sort((a, b) => a[0] - b[0])
    .map(([sizeBytes, hits]) => ({
      sizeBytes,
      hitRatio: Math.min(1, Math.max(0, (hits + adj) / gets)),
    }));
  // Cumulative in size: a larger cache never hits less (clamps counter noise across pods).
  let best = 0;
  const out: CurvePoint[] = [{ sizeBytes: 0, hitRatio: 0 }];
  for (const p of points) {
    best = Math.max(best, p.hitRatio);
    out.push({ sizeBytes: p.sizeBytes, hitRatio: best });
  }
  return out;
}

/** Hit ratio at `sizeBytes`, linear between the curve's points; its last value beyond them. */
export function hitRatioAt(curve: readonly CurvePoint[], sizeBytes: number): number {
  let prev: CurvePoint | undefined;
  for (const p of curve) {
    if (p.sizeBytes >= sizeBytes) {
      if (!prev || p.sizeBytes === prev.sizeBytes) return p.hitRatio;
      const f = (sizeBytes - prev.sizeBytes) / (p.sizeBytes - prev.sizeBytes);
      return prev.hitRatio + f * (p.hitRatio - prev.hitRatio);
    }
    prev = p;
  }
  return prev?.hitRatio ?? 0;
}

/** The curve's best hit ratio (its value at the largest size). */
export function maxHitRatio(curve: readonly CurvePoint[]): number {
  return curve.at(-1)?.hitRatio ?? 0;
}

/**
 * The smallest size whose hit ratio reaches `target`, interpolated between points (the
 * curve is piecewise linear, so this is exact for it); null when the curve never does.
 */
export function sizeForHitRatio(curve: readonly CurvePoint[], target: number): number | null {
  let prev: CurvePoint | undefined;
  for (const p of curve) {
    if (p.hitRatio >= target) {
      if (!prev || p.hitRatio === prev.hitRatio) return p.sizeBytes;
      const f = (target - prev.hitRatio) / (p.hitRatio - prev.hitRatio);
      return Math.ceil(prev.sizeBytes + f * (p.sizeBytes - prev.sizeBytes));
    }
    prev = p;
  }
  return null;
}
