import { METRICS } from '../../service/metrics/names.ts';

/**
 * The PromQL of the Phase 2 report, built from the metric contract. `w` is the window as
 * a Prometheus duration in seconds (`604800s`); every query is evaluated at the window end.
 * `m` is extra label matchers for every selector (e.g. `namespace="staging"`), or ''.
 */
const sel = (name: string, m: string, more = '') =>
  `${name}{${[more, m].filter(Boolean).join(',')}}`;
const access = (m: string) =>
  sel('', m, `__name__=~"${METRICS.cacheHits.name}|${METRICS.cacheMisses.name}"`);
const h = METRICS.httpDuration.name;

export const QUERIES = {
  /** Samples of cache access counters in each step (coverage: > 0 means scraped). */
  coverage: (stepMs: number, m: string) => `sum(count_over_time(${access(m)}[${stepMs}ms]))`,
  /** Cache gets (hits + misses) per minute, per pattern, averaged over the window. */
  accessesPerMin: (w: string, m: string) => `sum by (key_pattern) (rate(${access(m)}[${w}])) * 60`,
  /** Latest estimated hit ratio per pattern and cache size in bytes (mean over instances). */
  hitRatioByBytes: (w: string, m: string) =>
    `avg by (key_pattern, size_bytes) (last_over_time(${sel(METRICS.estimatedHitRatioBytes.name, m)}[${w}]))`,
  /** Latest estimated working set per pattern (largest instance: each sees most keys). */
  workingSetBytes: (w: string, m: string) =>
    `max by (key_pattern) (last_over_time(${sel(METRICS.estimatedWorkingSetBytes.name, m)}[${w}]))`,
  /** Lowest sampling rate in force per pattern. */
  samplingRate: (w: string, m: string) =>
    `min by (key_pattern) (last_over_time(${sel(METRICS.estimatorSamplingRate.name, m)}[${w}]))`,
  /** p95 latency per route over the window. */
  routeP95: (w: string, m: string) =>
    `histogram_quantile(0.95, sum by (route, le) (rate(${sel(`${h}_bucket`, m, 'method="GET"')}[${w}])))`,
  /** Latency seconds per second per route (numerator of the mean). */
  routeSecondsRate: (w: string, m: string) =>
    `sum by (route) (rate(${sel(`${h}_sum`, m, 'method="GET"')}[${w}]))`,
  /** Requests per second per route. */
  routeRequestRate: (w: string, m: string) =>
    `sum by (route) (rate(${sel(`${h}_count`, m, 'method="GET"')}[${w}]))`,
} as const;
