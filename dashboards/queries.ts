/**
 * PromQL building blocks shared by the dashboards and the rule files: metric names (from
 * the metric contract only), selectors, and the names of the recording rules that hold
 * the expressions both of them use.
 */
import { ALERT_CONFIG } from '../alerts/config.ts';
import { METRICS } from '../service/metrics/names.ts';

/** Labels that identify one deployment; recording rules aggregate down to them. */
export const DEPLOYMENT = ['namespace', 'job'] as const;

/** Matchers of the dashboards' template variables (`$namespace`, `$job`). */
export const DASHBOARD_MATCHERS = 'namespace=~"$namespace", job=~"$job"';
/** Dashboard matchers plus `$instance`, for panels on raw (per-instance) series. */
export const INSTANCE_MATCHERS = `${DASHBOARD_MATCHERS}, instance=~"$instance"`;
/** Dashboard matchers plus `$key_pattern`. */
export const PATTERN_MATCHERS = `${DASHBOARD_MATCHERS}, key_pattern=~"$key_pattern"`;

const w = ALERT_CONFIG.rateWindow;

/** Names of the recording rules (`level:metric:operation`). */
export const RECORDED = {
  hits: `namespace_job_key_pattern:cache_hits:rate${w}`,
  gets: `namespace_job_key_pattern:cache_gets:rate${w}`,
  hitRatio: `namespace_job_key_pattern:cache_hit_ratio:rate${w}`,
  operations: `namespace_job:cache_operations:rate${w}`,
  errors: `namespace_job:cache_errors:rate${w}`,
  errorRatio: `namespace_job:cache_error_ratio:rate${w}`,
  routeLatency: 'namespace_job_route_method:http_request_duration_seconds:histogram_quantile',
  variantLatency: 'namespace_job_variant:http_request_duration_seconds:histogram_quantile',
} as const;

/** Metric names used in PromQL, from the contract; histogram series carry their suffix. */
export const NAMES = {
  hits: METRICS.cacheHits.name,
  misses: METRICS.cacheMisses.name,
  sets: METRICS.cacheSets.name,
  dels: METRICS.cacheDels.name,
  errors: METRICS.cacheErrors.name,
  invalidations: METRICS.cacheInvalidations.name,
  enabled: METRICS.cacheEnabled.name,
  candidateRequests: METRICS.candidateRequests.name,
  httpBucket: `${METRICS.httpDuration.name}_bucket`,
  patternsTracked: METRICS.keyPatternsTracked.name,
  patternLimit: METRICS.keyPatternLimit.name,
  entries: METRICS.cacheEntries.name,
  sizeBytes: METRICS.cacheSizeBytes.name,
  estimatedHitRatio: METRICS.estimatedHitRatio.name,
  estimatedHitRatioBytes: METRICS.estimatedHitRatioBytes.name,
  workingSetBytes: METRICS.estimatedWorkingSetBytes.name,
  samplingRate: METRICS.estimatorSamplingRate.name,
  estimatedHits: METRICS.estimatedHits.name,
  estimatedGets: METRICS.estimatedGets.name,
  abRequests: METRICS.abRequests.name,
  circuitOpen: METRICS.circuitOpen.name,
  patternEnabled: METRICS.patternEnabled.name,
  redisNodes: METRICS.redisNodes.name,
  redisSlotsWithoutMaster: METRICS.redisSlotsWithoutMaster.name,
  redisNodeErrors: METRICS.redisNodeErrors.name,
} as const;

/** `metric{m1, m2}`; empty matchers are dropped. */
export function sel(metric: string, ...matchers: string[]): string {
  const m = matchers.filter((x) => x !== '');
  return m.length === 0 ? metric : `${metric}{${m.join(', ')}}`;
}

/**
 * `sum by (labels)` of the rates of several counters, counting each one that exists.
 * `rate()` drops the metric name, so `a or b` would keep only one of two equal label
 * sets and `a + b` would vanish when one counter has no series yet (NullCache never
 * hits): each rate gets a distinct `counter` label before the `or`.
 */
export function sumOfRates(
  labels: readonly string[],
  metrics: readonly string[],
  matchers: string,
  window: string,
): string {
  const tagged = metrics.map(
    (m) => `label_replace(${rate(sel(m, matchers), window)}, "counter", "${m}", "", "")`,
  );
  return sumBy(labels, tagged.join(' or '));
}

/** `rate(selector[window])`. */
export function rate(selector: string, window: string): string {
  return `rate(${selector}[${window}])`;
}

/** `sum by (labels) (expr)`. */
export function sumBy(labels: readonly string[], expr: string): string {
  return `sum by (${labels.join(', ')}) (${expr})`;
}

/** `max by (labels) (expr)`. */
export function maxBy(labels: readonly string[], expr: string): string {
  return `max by (${labels.join(', ')}) (${expr})`;
}

/** `histogram_quantile(q, sum by (labels, le) (rate(bucket[window])))`. */
export function quantileOf(
  q: number,
  labels: readonly string[],
  matchers: string,
  window: string,
): string {
  return `histogram_quantile(${q}, ${sumBy([...labels, 'le'], rate(sel(NAMES.httpBucket, matchers), window))})`;
}

/** Quantiles recorded for latency (the `quantile` label of the latency recording rules). */
export const LATENCY_QUANTILES = [0.5, 0.95] as const;

/** Accesses (gets) per second to per minute. */
export const PER_MINUTE = 60;
