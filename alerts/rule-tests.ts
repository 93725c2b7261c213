import { MONITORING_CONFIG as C } from '../monitoring/config.ts';
import { RECORDED } from '../monitoring/recording.ts';
import { NAMES } from '../monitoring/selectors.ts';
import { CURVE_SIZES_BYTES } from '../service/estimator/estimator.ts';
import { HTTP_BUCKETS } from '../service/metrics/names.ts';

/** One input series of a promtool test (`values` in promtool's expanding notation). */
export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

/**
 * A promtool unit test of one alert: on `bad` it is pending from `pendingFromMin` and
 * must be silent one step before `for` has passed and fire exactly at `for`, with
 * `labels` (plus severity) and `description`; on `good` it must stay silent.
 */
export interface AlertCase {
  /** Alert name without the shared prefix. */
  readonly alert: string;
  readonly bad: readonly InputSeries[];
  readonly good: readonly InputSeries[];
  /** First evaluation (minutes) at which the expression is true on `bad`. */
  readonly pendingFromMin: number;
  readonly labels: Readonly<Record<string, string>>;
  /** The rendered description, given how the deployment reads (`staging/job` or `job`). */
  readonly description: (deployment: string) => string;
}

const dep = { namespace: 'staging', job: C.job };
const inst = { ...dep, instance: '10.0.0.7:8900' };

/** `metric{k="v", ...}` for a promtool input series. */
function s(metric: string, labels: Readonly<Record<string, string>>, values: string): InputSeries {
  const l = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return { series: `${metric}{${l.join(', ')}}`, values };
}

/** A counter rising by `perMin` each minute for `mins` minutes. */
const rising = (perMin: number, mins = 130): string => `0+${perMin}x${mins}`;
const flat = (v: number, mins = 130): string => `${v}x${mins}`;

/** Histogram bucket series with every request taking between `above` and the next bucket. */
function latency(route: string, above: number, perMin: number): InputSeries[] {
  const labels = { ...inst, route, method: 'GET', status_class: '2xx', variant: 'off' };
  return [...HTTP_BUCKETS.map(String), '+Inf'].map((le) =>
    s(
      NAMES.httpBucket,
      { ...labels, le },
      le !== '+Inf' && Number(le) <= above ? flat(0) : rising(perMin),
    ),
  );
}

const ops = (pattern: string, hitsPerMin: number, missesPerMin: number, impl = 'redis') => [
  s(NAMES.hits, { ...inst, impl, key_pattern: pattern }, rising(hitsPerMin)),
  s(NAMES.misses, { ...inst, impl, key_pattern: pattern }, rising(missesPerMin)),
];
/** The estimator's counters: `hitsPerMin` modelled hits (whole working set) of `getsPerMin`. */
const estimate = (pattern: string, hitsPerMin: number, getsPerMin: number) => [
  s(
    NAMES.estimatedHits,
    { ...inst, key_pattern: pattern, size_bytes: String(CURVE_SIZES_BYTES.at(-1)) },
    rising(hitsPerMin),
  ),
  s(NAMES.estimatedGets, { ...inst, key_pattern: pattern }, rising(getsPerMin)),
];
const enabled = (pattern: string) =>
  s(NAMES.patternEnabled, { ...inst, key_pattern: pattern }, flat(1));
const errors = (perMin: number) =>
  s(NAMES.errors, { ...inst, impl: 'redis', error_type: 'timeout' }, rising(perMin));

/** Every alert's bad and good case; `rules.test.ts` checks that none is missing. */
export const ALERT_CASES: readonly AlertCase[] = [
  {
    alert: 'ErrorsHigh',
    bad: [...ops('sheet', 0, 90), errors(10)],
    good: [...ops('sheet', 0, 99), errors(1)],
    pendingFromMin: 1,
    labels: dep,
    description: (d) =>
      `10% of cache operations of ${d} failed (above 5% for 10m); requests fall back to the source.`,
  },
  {
    alert: 'MetricsAbsent',
    bad: [s(NAMES.enabled, { ...inst, job: 'another-service', impl: 'null' }, flat(1))],
    good: [s(NAMES.enabled, { ...inst, impl: 'null' }, flat(1))],
    pendingFromMin: 0,
    labels: { job: C.job },
    // absent() carries only the job of its selector: no deployment to name.
    description: () =>
      `No ${NAMES.enabled} series of job ${C.job} for 10m: the service is down, not scraped, or no longer exports its cache metrics.`,
  },
  {
    alert: 'Disabled',
    bad: [s(NAMES.enabled, { ...inst, impl: 'memory' }, '1x10 0x60')],
    // Off from the start (FEATURE_CACHE=false) is intended, and a swap leaves the old impl at 0.
    good: [
      s(NAMES.enabled, { ...inst, namespace: 'dev', impl: 'null' }, flat(0)),
      s(NAMES.enabled, { ...inst, impl: 'memory' }, '1x10 0x60'),
      s(NAMES.enabled, { ...inst, impl: 'redis' }, '_x10 1x60'),
    ],
    pendingFromMin: 11,
    labels: inst,
    description: (d) =>
      `No cache implementation is enabled on ${inst.instance} of ${d} for 5m, although the job had it enabled within the last 1h.`,
  },
  {
    alert: 'HitRatioLow',
    bad: [...ops('sheet', 20, 80), enabled('sheet')],
    // Low ratio on a pattern outside the whitelist is Phase 2 data, not a problem.
    good: [...ops('sheet', 80, 20), enabled('sheet'), ...ops('user', 0, 100, 'null')],
    pendingFromMin: 1,
    labels: { ...dep, key_pattern: 'sheet' },
    description: (d) =>
      `Key pattern sheet of ${d} is served by the cache but hits only 20% (below 50% for 30m).`,
  },
  {
    alert: 'HitRatioBelowEstimate',
    bad: [...ops('sheet', 40, 60), enabled('sheet'), ...estimate('sheet', 70, 100)],
    // Within the margin of the estimate; and a pattern outside the whitelist (Phase 2 data).
    good: [
      ...ops('sheet', 68, 32),
      enabled('sheet'),
      ...estimate('sheet', 70, 100),
      ...ops('user', 0, 100, 'null'),
      ...estimate('user', 70, 100),
    ],
    pendingFromMin: 1,
    labels: { ...dep, key_pattern: 'sheet' },
    description: (d) => `Key pattern sheet of ${d} hits 40%, over 0.05 below its estimate for 1h.`,
  },
  {
    alert: 'CandidateHot',
    bad: [...ops('sheet', 0, 1000, 'null')],
    good: [
      ...ops('sheet', 0, 50, 'null'),
      ...ops('other', 0, 1000, 'null'),
      ...ops('user', 600, 400),
      enabled('user'),
    ],
    pendingFromMin: 1,
    labels: { ...dep, key_pattern: 'sheet' },
    description: (d) =>
      `Key pattern sheet of ${d} is read 1000 times per minute (above 100 for 1h) and is not in the rollout whitelist.`,
  },
  {
    alert: 'CandidateRouteSlow',
    bad: [
      ...latency('/api/sheets/:id', 0.5, 60),
      s(NAMES.candidateRequests, { ...inst, route: '/api/sheets/:id', method: 'GET' }, rising(60)),
    ],
    // Fast candidate route; slow route that is no cache candidate.
    good: [
      ...latency('/api/sheets/:id', 0.05, 60),
      s(NAMES.candidateRequests, { ...inst, route: '/api/sheets/:id', method: 'GET' }, rising(60)),
      ...latency('/api/export', 0.5, 60),
    ],
    pendingFromMin: 1,
    labels: { ...dep, route: '/api/sheets/:id', method: 'GET', quantile: '0.95' },
    description: (d) =>
      `p95 latency of GET /api/sheets/:id of ${d} is 737.5ms (above 500ms for 15m).`,
  },
  {
    alert: 'KeyPatternCardinalityHigh',
    bad: [s(NAMES.patternsTracked, inst, flat(45)), s(NAMES.patternLimit, inst, flat(50))],
    good: [s(NAMES.patternsTracked, inst, flat(12)), s(NAMES.patternLimit, inst, flat(50))],
    pendingFromMin: 0,
    labels: inst,
    description: (d) =>
      `${inst.instance} of ${d} tracks 90% of its key_pattern limit (above 80% for 15m); new patterns will fold into "other".`,
  },
  {
    alert: 'CircuitOpen',
    bad: [s(NAMES.circuitOpen, { ...inst, impl: 'redis' }, '0x3 1x60')],
    good: [s(NAMES.circuitOpen, { ...inst, impl: 'redis' }, '0x3 1x2 0x60')],
    pendingFromMin: 4,
    labels: { ...inst, impl: 'redis' },
    description: (d) =>
      `The circuit breaker of cache redis on ${inst.instance} of ${d} has bypassed the cache for 5m; every request goes to the source.`,
  },
  {
    alert: 'RedisSlotsWithoutMaster',
    bad: [s(NAMES.redisSlotsWithoutMaster, inst, '0x3 5461x60')],
    // A failover that completes within `for` stays silent.
    good: [s(NAMES.redisSlotsWithoutMaster, inst, '0x3 5461x2 0x60')],
    pendingFromMin: 4,
    labels: { ...inst },
    description: (d) =>
      `${inst.instance} of ${d}: 5461 hash slots without a reachable master for 5m; their keys bypass the cache (failover stuck, or shard lost).`,
  },
  {
    alert: 'ConfigReloadFailed',
    // Last good load at 60 s; the reload at minute 3 fails. Good: a fixed file follows.
    bad: [
      s(NAMES.configLastReloadSuccessful, inst, '1x2 0x60'),
      s(NAMES.configLastReloadSuccessTime, inst, flat(60)),
    ],
    good: [
      s(NAMES.configLastReloadSuccessful, inst, '1x2 0x2 1x60'),
      s(NAMES.configLastReloadSuccessTime, inst, '60x4 300x60'),
    ],
    pendingFromMin: 3,
    labels: inst,
    description: (d) =>
      `The last reload of CACHE_CONFIG_FILE on ${inst.instance} of ${d} failed, none good for 5m; it runs the config applied 7m 0s ago.`,
  },
  {
    alert: 'StaleServing',
    bad: [s(NAMES.staleServed, { ...inst, key_pattern: 'sheet' }, rising(30))],
    // A trickle below the threshold, and a burst that stopped (one failed refresh wave).
    good: [
      s(NAMES.staleServed, { ...inst, key_pattern: 'sheet' }, rising(0.5)),
      s(NAMES.staleServed, { ...inst, key_pattern: 'user' }, '0+100x3 300x130'),
    ],
    pendingFromMin: 1,
    labels: { ...dep, key_pattern: 'sheet' },
    description: (d) =>
      `Key pattern sheet of ${d} served 30 stale values/min (over 1 for 10m): source refreshes fail.`,
  },
];

/** A check of a recorded series at one time (promtool `promql_expr_test`). */
export interface RecordingCase {
  readonly name: string;
  readonly input: readonly InputSeries[];
  readonly expr: string;
  readonly evalMin: number;
  readonly expSamples: readonly { readonly labels: string; readonly value: number }[];
}

/** Recording rules whose meaning is easy to get wrong. */
export const RECORDING_CASES: readonly RecordingCase[] = [
  {
    name: 'hit ratio of a pattern that never hit is 0, not absent',
    input: ops('user', 0, 100, 'null').slice(1),
    expr: RECORDED.hitRatio,
    evalMin: 10,
    expSamples: [
      {
        labels: `${RECORDED.hitRatio}{job="${C.job}", key_pattern="user", namespace="staging"}`,
        value: 0,
      },
    ],
  },
  {
    name: 'gets add hits and misses across implementations',
    input: [...ops('sheet', 30, 30, 'memory'), ...ops('sheet', 0, 60, 'null')],
    expr: `${RECORDED.gets} * 60`,
    evalMin: 10,
    expSamples: [
      { labels: `{job="${C.job}", key_pattern="sheet", namespace="staging"}`, value: 120 },
    ],
  },
];
