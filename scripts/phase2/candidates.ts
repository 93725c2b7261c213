import { API_ROUTES } from '../../service/api/routes-table.ts';
import { OTHER_PATTERN } from '../../service/metrics/names.ts';
import { type CurvePoint, hitRatioAt, maxHitRatio, sizeForHitRatio } from './curve.ts';

/** Which routes read through which key pattern: the example API's routes table, GET only. */
export function routesByPattern(): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const r of API_ROUTES) {
    if (r.method !== 'GET') continue;
    m.set(r.keyPattern, [...(m.get(r.keyPattern) ?? []), r.route]);
  }
  return m;
}

/** What Prometheus says about one pattern over the window. */
export interface PatternFacts {
  readonly pattern: string;
  readonly accessesPerMin: number;
  /** Hit ratio by cache size in Redis bytes over the window (`curveOf`), ascending; may be empty. */
  readonly curve: readonly CurvePoint[];
  /** Redis bytes of the live keys of the modelled shared cache at the window end. */
  readonly workingSetBytes: number | null;
  /** Live keys of the modelled shared cache at the window end. */
  readonly workingSetEntries: number | null;
  /** Of `workingSetBytes`, the tag sets, by the tags' pattern (shared with other patterns). */
  readonly tagSets: { readonly tagPattern: string; readonly bytes: number } | null;
  readonly samplingRate: number | null;
  readonly routes: ReadonlyArray<{
    readonly route: string;
    readonly p95Seconds: number | null;
    readonly meanSeconds: number | null;
    readonly requestsPerMin: number;
  }>;
}

/** Thresholds of the candidate decision. */
export interface CandidateRules {
  /** Accesses per minute a hot pattern needs (the spec's "hot"). @default MONITORING_CONFIG.candidateHot.accessesPerMinute */
  readonly minAccessesPerMin: number;
  /** Estimated hit ratio at the recommended size. @default MONITORING_CONFIG.phase2Report.minHitRatio */
  readonly minHitRatio: number;
  /** A size is "enough" when its hit ratio is within this of the largest size's. @default MONITORING_CONFIG.phase2Report.kneeTolerance */
  readonly kneeTolerance: number;
  /** Latency of a cache hit (Redis round trip + decode), subtracted from the route mean. @default MONITORING_CONFIG.phase2Report.hitLatencySeconds */
  readonly hitLatencySeconds: number;
}

/** One row of the candidate table. */
export interface Candidate {
  readonly pattern: string;
  readonly routes: string[];
  readonly accessesPerMin: number;
  /** The smallest size (Redis bytes) within `kneeTolerance` of the best hit ratio. */
  readonly recommendedSizeBytes: number | null;
  /** Bytes Redis needs for this pattern: the recommended size, or the working set when smaller. */
  readonly memoryBytes: number | null;
  /** Hit ratio at `memoryBytes` (the best one when the whole working set fits). */
  readonly estimatedHitRatio: number | null;
  /** The best hit ratio of the curve (an unbounded cache: only TTLs, writes and cold keys miss). */
  readonly maxHitRatio: number | null;
  readonly curve: readonly CurvePoint[];
  readonly workingSetBytes: number | null;
  readonly workingSetEntries: number | null;
  readonly tagSets: PatternFacts['tagSets'];
  /** Lowest SHARDS sampling rate behind the estimate (1 = exact). */
  readonly samplingRate: number | null;
  readonly routeP95Seconds: number | null;
  readonly routeMeanSeconds: number | null;
  /** Seconds of request time saved per minute: accesses/min × hit ratio × (mean − hit latency). */
  readonly latencySavedSecondsPerMin: number | null;
  readonly qualifies: boolean;
  /** Why it does not qualify (empty when it does). */
  readonly reasons: string[];
}

/** Turns per-pattern facts into ranked candidates (best saving first). */
export function rankCandidates(facts: readonly PatternFacts[], rules: CandidateRules): Candidate[] {
  return facts
    .map((f) => candidateOf(f, rules))
    .sort(
      (a, b) =>
        (b.latencySavedSecondsPerMin ?? -1) - (a.latencySavedSecondsPerMin ?? -1) ||
        b.accessesPerMin - a.accessesPerMin,
    );
}

function candidateOf(f: PatternFacts, rules: CandidateRules): Candidate {
  const best = f.curve.length > 1 ? maxHitRatio(f.curve) : null;
  const kneeSize = best === null ? null : sizeForHitRatio(f.curve, best - rules.kneeTolerance);
  const ws = f.workingSetBytes;
  const fits = kneeSize !== null && ws !== null && ws <= kneeSize;
  const memoryBytes = kneeSize === null ? null : fits && ws !== null ? ws : kneeSize;
  const knee =
    kneeSize === null || memoryBytes === null || best === null
      ? null
      : { sizeBytes: kneeSize, hitRatio: fits ? best : hitRatioAt(f.curve, memoryBytes) };
  const p95s = f.routes
    .map((r) => r.p95Seconds)
    .filter((x): x is number => x !== null && Number.isFinite(x));
  const weighted = f.routes.filter((r) => r.meanSeconds !== null && r.requestsPerMin > 0);
  const reqs = weighted.reduce((s, r) => s + r.requestsPerMin, 0);
  const mean =
    reqs > 0
      ? weighted.reduce((s, r) => s + (r.meanSeconds ?? 0) * r.requestsPerMin, 0) / reqs
      : null;
  const hr = knee?.hitRatio ?? null;
  const saved =
    hr === null || mean === null
      ? null
      : f.accessesPerMin * hr * Math.max(0, mean - rules.hitLatencySeconds);
  const reasons: string[] = [];
  if (f.pattern === OTHER_PATTERN)
    reasons.push('"other" folds unrelated keys together and cannot be whitelisted');
  if (f.accessesPerMin < rules.minAccessesPerMin)
    reasons.push(`${fmt(f.accessesPerMin)} accesses/min < ${rules.minAccessesPerMin}`);
  if (hr === null) reasons.push('no hit-ratio estimate in the window (estimator gauges missing)');
  else if (hr < rules.minHitRatio)
    reasons.push(`estimated hit ratio ${hr.toFixed(2)} < ${rules.minHitRatio}`);
  if (f.routes.length === 0) reasons.push('no route in the routes table reads this pattern');
  else if (mean === null) reasons.push('no latency data for its routes');
  if (saved !== null && saved <= 0)
    reasons.push('no latency to save (routes already faster than a cache hit)');
  return {
    pattern: f.pattern,
    routes: f.routes.map((r) => r.route),
    accessesPerMin: f.accessesPerMin,
    recommendedSizeBytes: knee?.sizeBytes ?? null,
    memoryBytes,
    estimatedHitRatio: hr,
    maxHitRatio: best,
    curve: f.curve,
    workingSetBytes: f.workingSetBytes,
    workingSetEntries: f.workingSetEntries,
    tagSets: f.tagSets,
    samplingRate: f.samplingRate,
    routeP95Seconds: p95s.length > 0 ? Math.max(...p95s) : null,
    routeMeanSeconds: mean,
    latencySavedSecondsPerMin: saved,
    qualifies: reasons.length === 0,
    reasons,
  };
}

function fmt(x: number): string {
  return x >= 100 ? Math.round(x).toString() : x.toFixed(1);
}
