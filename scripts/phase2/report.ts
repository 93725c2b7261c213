import type { Candidate, CandidateRules, PatternFacts } from './candidates.ts';
import { rankCandidates, routesByPattern } from './candidates.ts';
import { type Coverage, measureCoverage } from './coverage.ts';
import type { PromApi, VectorSample } from './prom-api.ts';
import { QUERIES } from './queries.ts';

/** Options of `buildReport`. */
export interface ReportOptions extends CandidateRules {
  /** Window end, unix seconds. */
  readonly end: number;
  /** Window length in seconds. @default 7 days */
  readonly windowSeconds: number;
  /** Days of continuous data the criterion asks for. @default 7 */
  readonly requiredDays: number;
  /** Longest gap still "continuous", in hours. @default 1 */
  readonly maxGapHours: number;
  /** Candidates the criterion asks for. @default 5 */
  readonly requiredCandidates: number;
  /** maxmemory = Σ memory of the whitelisted patterns × headroom. @default 1.5 */
  readonly headroom: number;
  /** Extra label matchers for every selector, e.g. `namespace="staging"`. @default '' */
  readonly matchers?: string;
}

/** One step of the Phase 3 rollout. */
export interface RolloutStep {
  readonly step: number;
  readonly pattern: string;
  /** `CACHE_PATTERNS` after this step. */
  readonly whitelist: string[];
  readonly cumulativeMemoryBytes: number;
  readonly cumulativeLatencySavedSecondsPerMin: number;
}

/** The whole report (the JSON file; the Markdown is rendered from it). */
export interface Phase2Report {
  readonly generatedAt: string;
  readonly prometheus: string;
  readonly coverage: Coverage;
  readonly rules: CandidateRules & {
    readonly requiredCandidates: number;
    readonly headroom: number;
  };
  readonly candidates: Candidate[];
  readonly qualifying: number;
  /** Plain statement when fewer than `requiredCandidates` qualify; null otherwise. */
  readonly shortfall: string | null;
  /** `maxmemory` is null when nothing qualifies (Redis reads 0 as "no limit"). */
  readonly redis: {
    readonly dataBytes: number;
    readonly headroom: number;
    readonly maxmemoryBytes: number | null;
    readonly maxmemory: string | null;
  };
  readonly phase3: RolloutStep[];
}

/** The window had no cache metrics at all. */
export class EmptyWindowError extends Error {
  override readonly name = 'EmptyWindowError';
}

/** Queries Prometheus and assembles the Phase 2 report. */
export async function buildReport(api: PromApi, o: ReportOptions): Promise<Phase2Report> {
  const start = o.end - o.windowSeconds;
  const w = `${o.windowSeconds}s`;
  const m = o.matchers ?? '';
  const coverage = await measureCoverage(api, start, o.end, o.requiredDays, o.maxGapHours, m);
  const [accesses, byBytes, ws, rate, p95, secRate, reqRate] = await Promise.all([
    api.query(QUERIES.accessesPerMin(w, m), o.end),
    api.query(QUERIES.hitRatioByBytes(w, m), o.end),
    api.query(QUERIES.workingSetBytes(w, m), o.end),
    api.query(QUERIES.samplingRate(w, m), o.end),
    api.query(QUERIES.routeP95(w, m), o.end),
    api.query(QUERIES.routeSecondsRate(w, m), o.end),
    api.query(QUERIES.routeRequestRate(w, m), o.end),
  ]);
  if (coverage.daysCollected === 0 && accesses.length === 0) {
    throw new EmptyWindowError(
      `no cache metrics (cache_hits_total, cache_miss_total${m ? ` with ${m}` : ''}) between ${coverage.windowStart} and ` +
        `${coverage.windowEnd} at ${api.url}: is the service scraped, with FEATURE_CACHE=true? ` +
        'Try a later --end or a longer --window.',
    );
  }
  const routes = routesByPattern();
  const byLabel = (xs: VectorSample[], label: string) =>
    new Map(xs.map((x) => [x.metric[label] ?? '', x.value]));
  const p95ByRoute = byLabel(p95, 'route');
  const secByRoute = byLabel(secRate, 'route');
  const reqByRoute = byLabel(reqRate, 'route');
  const wsBy = byLabel(ws, 'key_pattern');
  const rateBy = byLabel(rate, 'key_pattern');
  const facts: PatternFacts[] = accesses.map((a) => {
    const pattern = a.metric.key_pattern ?? '';
    const points = byBytes
      .filter((x) => x.metric.key_pattern === pattern && Number.isFinite(x.value))
      .map((x) => ({ sizeBytes: Number(x.metric.size_bytes), hitRatio: x.value }))
      .sort((x, y) => x.sizeBytes - y.sizeBytes);
    return {
      pattern,
      accessesPerMin: a.value,
      hitRatioByBytes: points,
      workingSetBytes: wsBy.get(pattern) ?? null,
      samplingRate: rateBy.get(pattern) ?? null,
      routes: (routes.get(pattern) ?? []).map((route) => {
        const rps = reqByRoute.get(route) ?? 0;
        const p = p95ByRoute.get(route);
        return {
          route,
          p95Seconds: p !== undefined && Number.isFinite(p) ? p : null,
          meanSeconds: rps > 0 ? (secByRoute.get(route) ?? 0) / rps : null,
          requestsPerMin: rps * 60,
        };
      }),
    };
  });
  const candidates = rankCandidates(facts, o);
  const chosen = candidates.filter((c) => c.qualifies);
  const dataBytes = chosen.reduce((s, c) => s + (c.memoryBytes ?? 0), 0);
  const maxmemoryBytes =
    dataBytes > 0 ? Math.ceil((dataBytes * o.headroom) / 1_048_576) * 1_048_576 : null;
  let mem = 0;
  let saved = 0;
  const phase3 = chosen.map((c, i) => {
    mem += c.memoryBytes ?? 0;
    saved += c.latencySavedSecondsPerMin ?? 0;
    return {
      step: i + 1,
      pattern: c.pattern,
      whitelist: chosen.slice(0, i + 1).map((x) => x.pattern),
      cumulativeMemoryBytes: mem,
      cumulativeLatencySavedSecondsPerMin: saved,
    };
  });
  return {
    generatedAt: new Date().toISOString(),
    prometheus: api.url,
    coverage,
    rules: {
      minAccessesPerMin: o.minAccessesPerMin,
      minHitRatio: o.minHitRatio,
      kneeTolerance: o.kneeTolerance,
      hitLatencySeconds: o.hitLatencySeconds,
      requiredCandidates: o.requiredCandidates,
      headroom: o.headroom,
    },
    candidates,
    qualifying: chosen.length,
    shortfall: shortfallOf(candidates, chosen.length, o.requiredCandidates),
    redis: {
      dataBytes,
      headroom: o.headroom,
      maxmemoryBytes,
      maxmemory: maxmemoryBytes === null ? null : `${maxmemoryBytes / 1_048_576}mb`,
    },
    phase3,
  };
}

function shortfallOf(
  all: readonly Candidate[],
  qualifying: number,
  required: number,
): string | null {
  if (qualifying >= required) return null;
  const why = all.filter((c) => !c.qualifies).map((c) => `${c.pattern}: ${c.reasons.join('; ')}`);
  return (
    `Only ${qualifying} of ${all.length} key patterns qualify as candidates, fewer than the ${required} ` +
    `the Phase 2 criterion asks for. ${why.length > 0 ? `The others fall short: ${why.join(' | ')}.` : 'No other key pattern was accessed in the window.'}`
  );
}
