import { PER_MINUTE } from '../../monitoring/config.ts';
import { GETS } from '../../monitoring/selectors.ts';
import type { Candidate, CandidateRules, PatternFacts } from './candidates.ts';
import { rankCandidates, routesByPattern } from './candidates.ts';
import { type Coverage, measureCoverage } from './coverage.ts';
import { curveOf } from './curve.ts';
import type { PromApi, VectorSample } from './prom-api.ts';
import { QUERIES } from './queries.ts';
import { type RedisSizing, sizeRedis, type TagSetsFacts } from './redis-sizing.ts';

/** Options of `buildReport`. */
export interface ReportOptions extends CandidateRules {
  /** Window end, unix seconds. */
  readonly end: number;
  /** Window length in seconds. @default MONITORING_CONFIG.phase2Report.window */
  readonly windowSeconds: number;
  /** Days of continuous data the criterion asks for. @default MONITORING_CONFIG.phase2Report.requiredDays */
  readonly requiredDays: number;
  /** Longest gap still "continuous", in hours. @default MONITORING_CONFIG.phase2Report.maxGapHours */
  readonly maxGapHours: number;
  /** Candidates the criterion asks for. @default MONITORING_CONFIG.phase2Report.requiredCandidates */
  readonly requiredCandidates: number;
  /** maxmemory = Σ memory of the whitelisted patterns × headroom. @default MONITORING_CONFIG.phase2Report.headroom */
  readonly headroom: number;
  /** Extra label matchers for every selector, e.g. `namespace="staging"`. @default '' */
  readonly matchers?: string;
  /** `used_memory` of an empty Redis with clients connected. @default REDIS_BASELINE_BYTES */
  readonly redisBaselineBytes?: number;
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
  /** Sizing of one Redis for every qualifying pattern; null when nothing qualifies. */
  readonly redis: RedisSizing | null;
  /** `CACHE_PATTERNS` for Phase 3: every qualifying pattern, best saving first. */
  readonly cachePatterns: string;
  /** Pods seen in the window and the replicas their estimators assumed (`ESTIMATOR_REPLICAS`). */
  readonly replicas: { readonly pods: number; readonly assumed: number | null };
  /** Things the reader must know before trusting the numbers (empty when none). */
  readonly warnings: string[];
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
  const q = (expr: string) => api.query(expr, o.end);
  const [
    gets,
    estGets,
    estHits,
    wsBytes,
    wsEntries,
    tagSets,
    rate,
    replicas,
    p95,
    secRate,
    reqRate,
    unionEntries,
    unionBytes,
  ] = await Promise.all([
    q(QUERIES.gets(w, m)),
    q(QUERIES.estimatedGets(w, m)),
    q(QUERIES.estimatedHits(w, m)),
    q(QUERIES.workingSetBytes(w, m)),
    q(QUERIES.workingSetEntries(w, m)),
    q(QUERIES.tagSetBytes(w, m)),
    q(QUERIES.samplingRate(w, m)),
    q(QUERIES.sharedReplicas(w, m)),
    q(QUERIES.routeP95(w, m)),
    q(QUERIES.routeSecondsRate(w, m)),
    q(QUERIES.routeRequestRate(w, m)),
    q(QUERIES.tagSetsUnion(w, m)),
    q(QUERIES.tagSetsUnionBytes(w, m)),
  ]);
  if (coverage.secondsCollected === 0 && gets.length === 0) {
    throw new EmptyWindowError(
      `no cache metrics (${GETS.join(', ')}${m ? ` with ${m}` : ''}) between ${coverage.windowStart} and ` +
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
  const wsBy = byLabel(wsBytes, 'key_pattern');
  const wsEntriesBy = byLabel(wsEntries, 'key_pattern');
  const estGetsBy = byLabel(estGets, 'key_pattern');
  const rateBy = byLabel(rate, 'key_pattern');
  const minutes = o.windowSeconds / PER_MINUTE;
  const facts: PatternFacts[] = gets.map((g) => {
    const pattern = g.metric.key_pattern ?? '';
    const hitsAt = estHits
      .filter((x) => x.metric.key_pattern === pattern)
      .map((x): [number, number] => [Number(x.metric.size_bytes), x.value]);
    const tag = tagSets.find((x) => x.metric.key_pattern === pattern);
    return {
      pattern,
      accessesPerMin: g.value / minutes,
      curve: curveOf(hitsAt, estGetsBy.get(pattern) ?? 0, g.value),
      workingSetBytes: wsBy.get(pattern) ?? null,
      workingSetEntries: wsEntriesBy.get(pattern) ?? null,
      tagSets: tag ? { tagPattern: tag.metric.tag_pattern ?? '', bytes: tag.value } : null,
      samplingRate: rateBy.get(pattern) ?? null,
      routes: (routes.get(pattern) ?? []).map((route) => {
        const rps = reqByRoute.get(route) ?? 0;
        const p = p95ByRoute.get(route);
        return {
          route,
          p95Seconds: p !== undefined && Number.isFinite(p) ? p : null,
          meanSeconds: rps > 0 ? (secByRoute.get(route) ?? 0) / rps : null,
          requestsPerMin: rps * PER_MINUTE,
        };
      }),
    };
  });
  const ranked = rankCandidates(facts, o);
  const chosen = ranked.filter((c) => c.qualifies);
  const union = new Map<string, TagSetsFacts>();
  for (const u of unionEntries) {
    const tag = u.metric.tag_pattern ?? '';
    union.set(tag, {
      entries: u.value,
      bytes: unionBytes.find((b) => b.metric.tag_pattern === tag)?.value ?? 0,
      patterns: facts.filter((f) => f.tagSets?.tagPattern === tag).map((f) => f.pattern),
      entriesOf: new Map(
        facts
          .filter((f) => f.tagSets?.tagPattern === tag)
          .map((f) => [f.pattern, f.workingSetEntries ?? 0]),
      ),
    });
  }
  const redis = sizeRedis(chosen, {
    headroom: o.headroom,
    pods: Math.max(1, replicas.length),
    tagSets: union,
    ...(o.redisBaselineBytes === undefined ? {} : { baselineBytes: o.redisBaselineBytes }),
  });
  const expected = new Map((redis?.shares ?? []).map((s) => [s.pattern, s]));
  // Each candidate's hit ratio is what Phase 3 should measure under the recommended maxmemory.
  const candidates = ranked.map((c) => {
    const share = expected.get(c.pattern);
    return share ? { ...c, estimatedHitRatio: share.expectedHitRatio } : c;
  });
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
  const assumed = replicas.length > 0 ? Math.max(...replicas.map((r) => r.value)) : null;
  const warnings: string[] = [];
  if (assumed !== null && replicas.length !== assumed) {
    warnings.push(
      `${replicas.length} pod(s) reported estimates in the window but their estimators assumed ${assumed} replica(s) ` +
        'sharing one Redis (ESTIMATOR_REPLICAS): the TTL part of the hit ratios models the wrong traffic share. ' +
        'Set ESTIMATOR_REPLICAS to the replica count and collect again.',
    );
  }
  if (redis?.evicting) {
    warnings.push(
      'The working sets do not fit under the recommended maxmemory: Redis will evict. Tag sets are keys ' +
        'too: a writer that invalidates only by tag misses the members of an evicted tag set until their ' +
        'TTL ends (the example API also deletes the keys it knows by name).',
    );
  }
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
    redis,
    cachePatterns: chosen.map((c) => c.pattern).join(','),
    replicas: { pods: replicas.length, assumed },
    warnings,
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
