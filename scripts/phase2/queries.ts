import { quantileOf, rate, sumBy, sumOver } from '../../monitoring/queries.ts';
import { GETS, matchers, NAMES, sel } from '../../monitoring/selectors.ts';

/**
 * The PromQL of the Phase 2 report, built with the shared selectors and query builders of
 * `monitoring/`. `w` is the window as a Prometheus duration in seconds (`604800s`); every
 * query is evaluated at the window end. `m` is extra label matchers for every selector
 * (e.g. `namespace="staging"`), or ''.
 *
 * Gets are the same counters the `RECORDED.gets` recording rule sums (`GETS`, with the
 * same `sumOver` builder), but over the raw counters rather than the recorded series, on
 * purpose: the report needs exact counts over its whole window (`increase` over 7 d, or
 * 45 s in the closed-loop test, shorter than the rules' 5 m rate window), must work on a
 * Prometheus that has not loaded the rules (a plain or backfilled one; the recorded series
 * start only when the rules do), and applies `--matchers` to labels such as `instance`
 * that the recording rules aggregate away. A sum of recorded 5 m rates over the window
 * would be none of these.
 */
const GET = 'method="GET"';

export const QUERIES = {
  /** Samples of cache access counters in each step (coverage: > 0 means scraped). */
  coverage: (stepMs: number, m: string) => sumOver('count_over_time', [], GETS, m, `${stepMs}ms`),
  /** Cache gets (hits + misses) per pattern over the window, all pods. */
  gets: (w: string, m: string) => sumOver('increase', ['key_pattern'], GETS, m, w),
  /** Gets the estimator modelled over the window, all pods. */
  estimatedGets: (w: string, m: string) =>
    sumBy(['key_pattern'], `increase(${sel(NAMES.estimatedGets, m)}[${w}])`),
  /** Modelled hits at every curve size over the window, all pods. */
  estimatedHits: (w: string, m: string) =>
    sumBy(['key_pattern', 'size_bytes'], `increase(${sel(NAMES.estimatedHits, m)}[${w}])`),
  /**
   * Peak working set in Redis bytes over the window (Redis must hold the busiest hour, not
   * the last scrape's), mean over pods: each pod models the cache they all share.
   */
  workingSetBytes: (w: string, m: string) =>
    `avg by (key_pattern) (max_over_time(${sel(NAMES.workingSetBytes, m)}[${w}]))`,
  /** Peak working set in keys. */
  workingSetEntries: (w: string, m: string) =>
    `avg by (key_pattern) (max_over_time(${sel(NAMES.workingSetEntries, m)}[${w}]))`,
  /** Peak tag-set bytes within the working set, by the tag's pattern. */
  tagSetBytes: (w: string, m: string) =>
    `avg by (key_pattern, tag_pattern) (max_over_time(${sel(NAMES.tagSetBytes, m)}[${w}]))`,
  /** Peak live tag sets per tag pattern (all patterns' tags together). */
  tagSetsUnion: (w: string, m: string) =>
    `avg by (tag_pattern) (max_over_time(${sel(NAMES.tagSets, m)}[${w}]))`,
  /** Peak Redis bytes of those tag sets themselves. */
  tagSetsUnionBytes: (w: string, m: string) =>
    `avg by (tag_pattern) (max_over_time(${sel(NAMES.tagSetsBytes, m)}[${w}]))`,
  /** Lowest sampling rate in force per pattern. */
  samplingRate: (w: string, m: string) =>
    `min by (key_pattern) (last_over_time(${sel(NAMES.samplingRate, m)}[${w}]))`,
  /** Replicas the estimators assumed (one series per pod that reported in the window). */
  sharedReplicas: (w: string, m: string) => `last_over_time(${sel(NAMES.sharedReplicas, m)}[${w}])`,
  /** p95 latency per route over the window. */
  routeP95: (w: string, m: string) => quantileOf(0.95, ['route'], matchers(GET, m), w),
  /** Latency seconds per second per route (numerator of the mean). */
  routeSecondsRate: (w: string, m: string) => sumBy(['route'], rate(sel(NAMES.httpSum, GET, m), w)),
  /** Requests per second per route. */
  routeRequestRate: (w: string, m: string) =>
    sumBy(['route'], rate(sel(NAMES.httpCount, GET, m), w)),
} as const;
