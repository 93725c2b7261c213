/**
 * The recording rules: their names (`level:metric:operation`) and their expressions, the
 * PromQL that alerts and dashboards share. `alerts/rules.ts` puts them in the rule file
 * (and so in the k8s PrometheusRule); dashboards and alerts read the series by these names.
 */
import { CURVE_SIZES_BYTES } from '../service/estimator/estimator.ts';
import { MONITORING_CONFIG } from './config.ts';
import { quantileOf, rate, sumBy, sumOfRates } from './queries.ts';
import { BY_PATTERN, DEPLOYMENT, GETS, NAMES, SERVICE_MATCHERS, sel } from './selectors.ts';

/** A Prometheus recording rule, as written in a rule file. */
export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

const w = MONITORING_CONFIG.rateWindow;

/** Names of the recording rules (`level:metric:operation`). */
export const RECORDED = {
  hits: `namespace_job_key_pattern:cache_hits:rate${w}`,
  gets: `namespace_job_key_pattern:cache_gets:rate${w}`,
  hitRatio: `namespace_job_key_pattern:cache_hit_ratio:rate${w}`,
  /** The Phase 2 estimate of the same ratio (best curve point: the whole working set fits). */
  estimatedHitRatio: `namespace_job_key_pattern:cache_estimated_hit_ratio:rate${w}`,
  operations: `namespace_job:cache_operations:rate${w}`,
  errors: `namespace_job:cache_errors:rate${w}`,
  errorRatio: `namespace_job:cache_error_ratio:rate${w}`,
  routeLatency: 'namespace_job_route_method:http_request_duration_seconds:histogram_quantile',
  variantLatency: 'namespace_job_variant:http_request_duration_seconds:histogram_quantile',
  staleServed: `namespace_job_key_pattern:cache_stale_served:rate${w}`,
} as const;

/** Quantiles recorded for latency (the `quantile` label of the latency recording rules). */
export const LATENCY_QUANTILES = MONITORING_CONFIG.latencyQuantiles;

const s = SERVICE_MATCHERS;

/**
 * Every recording rule, in order: rules of a group run in order, so later rules read the
 * series earlier ones recorded in the same evaluation.
 */
export function buildRecordingRules(): RecordingRule[] {
  return [
    { record: RECORDED.hits, expr: sumBy(BY_PATTERN, rate(sel(NAMES.hits, s), w)) },
    { record: RECORDED.gets, expr: sumOfRates(BY_PATTERN, GETS, s, w) },
    // A pattern without a single hit has no `hits` series: `or gets * 0` makes its ratio
    // 0 rather than absent, so a low hit ratio can alert. No gets: no ratio (not NaN).
    {
      record: RECORDED.hitRatio,
      expr: `(${RECORDED.hits} or ${RECORDED.gets} * 0) / (${RECORDED.gets} > 0)`,
    },
    // The Phase 2 estimate, kept in Phase 3: modelled hits in a cache holding the whole
    // working set (the largest curve size) over modelled gets.
    {
      record: RECORDED.estimatedHitRatio,
      expr: `${sumBy(BY_PATTERN, rate(sel(NAMES.estimatedHits, s, `size_bytes="${CURVE_SIZES_BYTES.at(-1)}"`), w))}\n/ (${sumBy(BY_PATTERN, rate(sel(NAMES.estimatedGets, s), w))} > 0)`,
    },
    // A failed get counts as neither hit nor miss, so errors are part of the attempts.
    {
      record: RECORDED.operations,
      expr: sumOfRates(
        DEPLOYMENT,
        [NAMES.hits, NAMES.misses, NAMES.sets, NAMES.dels, NAMES.errors],
        s,
        w,
      ),
    },
    { record: RECORDED.errors, expr: sumBy(DEPLOYMENT, rate(sel(NAMES.errors, s), w)) },
    {
      record: RECORDED.errorRatio,
      expr: `${RECORDED.errors} / (${RECORDED.operations} > 0)`,
    },
    { record: RECORDED.staleServed, expr: sumBy(BY_PATTERN, rate(sel(NAMES.staleServed, s), w)) },
    ...LATENCY_QUANTILES.map((q) => ({
      record: RECORDED.routeLatency,
      expr: quantileOf(q, [...DEPLOYMENT, 'route', 'method'], s, w),
      labels: { quantile: String(q) },
    })),
    ...LATENCY_QUANTILES.map((q) => ({
      record: RECORDED.variantLatency,
      expr: quantileOf(q, [...DEPLOYMENT, 'variant'], s, w),
      labels: { quantile: String(q) },
    })),
  ];
}
