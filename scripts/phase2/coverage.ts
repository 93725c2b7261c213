import type { PromApi } from './prom-api.ts';
import { QUERIES } from './queries.ts';

/** A stretch of the window without cache metrics. */
export interface Gap {
  readonly from: string;
  readonly to: string;
  readonly hours: number;
}

/** How much of the window has cache metrics, against the "≥ N days continuous" criterion. */
export interface Coverage {
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly stepSeconds: number;
  readonly firstSample: string | null;
  readonly lastSample: string | null;
  readonly daysCollected: number;
  /** Seconds of the window with cache metrics (whole steps). */
  readonly secondsCollected: number;
  /** `secondsCollected` for people: "45 s", "12.5 min", "3.2 h", "6.9 days". */
  readonly collected: string;
  readonly gaps: Gap[];
  readonly requiredDays: number;
  readonly maxGapHours: number;
  /** Days collected ≥ requiredDays and no gap longer than maxGapHours. */
  readonly criterionMet: boolean;
}

const iso = (t: number) => new Date(t * 1000).toISOString();

/**
 * Splits the window into n ≤ 1,000 equal steps and counts, per step, the samples of the
 * cache access counters: steps with none are gaps. `count_over_time` over exactly one
 * step sees every sample once, whatever the scrape interval.
 */
export async function measureCoverage(
  api: PromApi,
  start: number,
  end: number,
  requiredDays: number,
  maxGapHours: number,
  matchers = '',
): Promise<Coverage> {
  const n = Math.max(1, Math.min(1_000, Math.floor((end - start) / 60)));
  const stepMs = Math.ceil(((end - start) * 1_000) / n);
  const stepS = stepMs / 1_000;
  const from = end - n * stepS;
  const firstStepEnd = from + stepS;
  const series = await api.queryRange(QUERIES.coverage(stepMs, matchers), firstStepEnd, end, stepS);
  const covered = new Uint8Array(n);
  for (const s of series) {
    for (const [t, v] of s.values) {
      const i = Math.round((t - firstStepEnd) / stepS);
      if (v > 0 && i >= 0 && i < n) covered[i] = 1;
    }
  }
  const gaps: Gap[] = [];
  let gapFrom: number | null = null;
  let first: number | null = null;
  let last: number | null = null;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const lo = from + i * stepS;
    if (covered[i] === 1) {
      count++;
      first ??= lo;
      last = lo + stepS;
      if (gapFrom !== null) gaps.push(gap(gapFrom, lo));
      gapFrom = null;
    } else gapFrom ??= lo;
  }
  if (gapFrom !== null) gaps.push(gap(gapFrom, end));
  const daysCollected = Math.round(((count * stepS) / 86_400) * 100) / 100;
  return {
    windowStart: iso(start),
    windowEnd: iso(end),
    stepSeconds: stepS,
    firstSample: first === null ? null : iso(first),
    lastSample: last === null ? null : iso(last),
    daysCollected,
    secondsCollected: Math.round(count * stepS),
    collected: humanDuration(count * stepS),
    gaps,
    requiredDays,
    maxGapHours,
    criterionMet: daysCollected >= requiredDays && gaps.every((g) => g.hours <= maxGapHours),
  };
}

/** Seconds as the largest unit that reads well: "45 s", "12.5 min", "3.2 h", "6.9 days". */
export function humanDuration(seconds: number): string {
  const one = (x: number) =>
    Number.isInteger(Math.round(x * 10) / 10) ? x.toFixed(0) : x.toFixed(1);
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 2 * 3_600) return `${one(seconds / 60)} min`;
  if (seconds < 2 * 86_400) return `${one(seconds / 3_600)} h`;
  return `${one(seconds / 86_400)} days`;
}

function gap(from: number, to: number): Gap {
  return { from: iso(from), to: iso(to), hours: Math.round(((to - from) / 3_600) * 100) / 100 };
}
