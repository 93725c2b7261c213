import { METRICS } from '../../service/metrics/names.ts';

/**
 * The PromQL of the Phase 2 report, built from the metric contract. `w` is the window as
 * a Prometheus duration in seconds (`604800s`); every query is evaluated at the window end.
 */
const ACCESS_SELECTOR = `{__name__=~"${METRICS.cacheHits.name}|${METRICS.cacheMisses.name}"}`;
const bucket = `${METRICS.httpDuration.name}_bucket`;
const sum = `${METRICS.httpDuration.name}_sum`;
const count = `${METRICS.httpDuration.name}_count`;

export const QUERIES = {
  /** Samples of cache access counters in each step (coverage: > 0 means scraped). */
  coverage: (stepMs: number) => `sum(count_over_time(${ACCESS_SELECTOR}[${stepMs}ms]))`,
  /** Cache gets (hits + misses) per minute, per pattern, averaged over the window. */
  accessesPerMin: (w: string) => `sum by (key_pattern) (rate(${ACCESS_SELECTOR}[${w}])) * 60`,
  /** Latest estimated hit ratio per pattern and cache size in bytes (mean over instances). */
  hitRatioByBytes: (w: string) =>
    `avg by (key_pattern, size_bytes) (last_over_time(${METRICS.estimatedHitRatioBytes.name}[${w}]))`,
  /** Latest estimated hit ratio per pattern and cache size in entries (mean over instances). */
  hitRatioByEntries: (w: string) =>
    `avg by (key_pattern, size_entries) (last_over_time(${METRICS.estimatedHitRatio.name}[${w}]))`,
  /** Latest estimated working set per pattern (largest instance: each sees most keys). */
  workingSetBytes: (w: string) =>
    `max by (key_pattern) (last_over_time(${METRICS.estimatedWorkingSetBytes.name}[${w}]))`,
  /** Lowest sampling rate in force per pattern. */
  samplingRate: (w: string) =>
    `min by (key_pattern) (last_over_time(${METRICS.estimatorSamplingRate.name}[${w}]))`,
  /** p95 latency per route over the window. */
  routeP95: (w: string) =>
    `histogram_quantile(0.95, sum by (route, le) (rate(${bucket}{method="GET"}[${w}])))`,
  /** Latency seconds per second per route (numerator of the mean). */
  routeSecondsRate: (w: string) => `sum by (route) (rate(${sum}{method="GET"}[${w}]))`,
  /** Requests per second per route. */
  routeRequestRate: (w: string) => `sum by (route) (rate(${count}{method="GET"}[${w}]))`,
} as const;
