import { METRICS } from '../../service/metrics/names.ts';

/**
 * The PromQL of the Phase 2 report, built from the metric contract. `w` is the window as
 * a Prometheus duration in seconds (`604800s`); every query is evaluated at the window end.
 * `m` is extra label matchers for every selector (e.g. `namespace="staging"`), or ''.
 *
 * Hits and misses are two metric families: `rate()`/`count_over_time()` drop the metric
 * name, so one selector over both names would make two series with the same label set
 * (HTTP 422). Each family is aggregated on its own and the two are added, keeping the
 * patterns only one of them has (`(A + B) or A or B`): NullCache only ever misses.
 */
const sel = (name: string, m: string, more = '') =>
  `${name}{${[more, m].filter(Boolean).join(',')}}`;
const h = METRICS.httpDuration.name;
const hits = METRICS.cacheHits.name;
const misses = METRICS.cacheMisses.name;
const both = (f: (name: string) => string) => {
  const a = f(hits);
  const b = f(misses);
  return `(${a} + ${b}) or ${a} or ${b}`;
};

export const QUERIES = {
  /** Samples of cache access counters in each step (coverage: > 0 means scraped). */
  coverage: (stepMs: number, m: string) =>
    both((n) => `sum(count_over_time(${sel(n, m)}[${stepMs}ms]))`),
  /** Cache gets (hits + misses) per pattern over the window, all pods. */
  gets: (w: string, m: string) =>
    both((n) => `sum by (key_pattern) (increase(${sel(n, m)}[${w}]))`),
  /** Gets the estimator modelled over the window, all pods. */
  estimatedGets: (w: string, m: string) =>
    `sum by (key_pattern) (increase(${sel(METRICS.estimatedGets.name, m)}[${w}]))`,
  /** Modelled hits at every curve size over the window, all pods. */
  estimatedHits: (w: string, m: string) =>
    `sum by (key_pattern, size_bytes) (increase(${sel(METRICS.estimatedHits.name, m)}[${w}]))`,
  /**
   * Peak working set in Redis bytes over the window (Redis must hold the busiest hour, not
   * the last scrape's), mean over pods: each pod models the cache they all share.
   */
  workingSetBytes: (w: string, m: string) =>
    `avg by (key_pattern) (max_over_time(${sel(METRICS.estimatedWorkingSetBytes.name, m)}[${w}]))`,
  /** Peak working set in keys. */
  workingSetEntries: (w: string, m: string) =>
    `avg by (key_pattern) (max_over_time(${sel(METRICS.estimatedWorkingSetEntries.name, m)}[${w}]))`,
  /** Peak tag-set bytes within the working set, by the tag's pattern. */
  tagSetBytes: (w: string, m: string) =>
    `avg by (key_pattern, tag_pattern) (max_over_time(${sel(METRICS.estimatedTagSetBytes.name, m)}[${w}]))`,
  /** Peak live tag sets per tag pattern (all patterns' tags together). */
  tagSetsUnion: (w: string, m: string) =>
    `avg by (tag_pattern) (max_over_time(${sel(METRICS.estimatedTagSets.name, m)}[${w}]))`,
  /** Peak Redis bytes of those tag sets themselves. */
  tagSetsUnionBytes: (w: string, m: string) =>
    `avg by (tag_pattern) (max_over_time(${sel(METRICS.estimatedTagSetsBytes.name, m)}[${w}]))`,
  /** Lowest sampling rate in force per pattern. */
  samplingRate: (w: string, m: string) =>
    `min by (key_pattern) (last_over_time(${sel(METRICS.estimatorSamplingRate.name, m)}[${w}]))`,
  /** Replicas the estimators assumed (one series per pod that reported in the window). */
  sharedReplicas: (w: string, m: string) =>
    `last_over_time(${sel(METRICS.estimatorSharedReplicas.name, m)}[${w}])`,
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
