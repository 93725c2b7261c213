/**
 * The one monitoring config (kubernetes-mixin's `_config` style): the scrape job and its
 * selector, rate windows, alert thresholds and `for` durations, margins, the Phase 2
 * report's defaults and the scrape settings. Recording rules, alerts, dashboards, promtool
 * tests, the Phase 2 report and the k8s ServiceMonitor all read them from here, so no
 * number is restated by hand (prose included). Metric names live in
 * `service/metrics/names.ts`; PromQL is built in `selectors.ts`, `queries.ts` and
 * `recording.ts` next to this file.
 */

/** The scrape job of the service (the k8s ServiceMonitor's Service name). */
const JOB = 'metasheet-cache';

export const MONITORING_CONFIG = {
  /** The job label value the selector matches; `absent()` alerts report it. */
  job: JOB,
  /** Selector of the service's own series in rules (the scrape job of the k8s ServiceMonitor). */
  selector: `job="${JOB}"`,
  /** Shared prefix of every alert name. */
  alertPrefix: 'MetasheetCache',
  /** Where the runbook lives; every alert links to a heading of it. */
  runbookUrlBase: 'https://github.com/metasheet/metasheet-cache/blob/main/alerts/runbook.md',
  /**
   * Labels a series may lack: `namespace` is there on Kubernetes (the ServiceMonitor adds
   * it) but not on a plain scrape config. Descriptions render without them, and the
   * promtool tests fire every alert once without them.
   */
  optionalLabels: ['namespace'],
  /** Rate window of the recording rules. */
  rateWindow: '5m',
  /** Latency quantiles the latency recording rules record (their `quantile` label). */
  latencyQuantiles: [0.5, 0.95],
  /** How Prometheus scrapes the service (the k8s ServiceMonitor endpoint). */
  scrape: { path: '/metrics/prom', interval: '30s', timeout: '10s' },

  errorRatio: { threshold: 0.05, for: '10m' },
  metricsAbsent: { for: '10m' },
  cacheDisabled: { lookback: '1h', for: '5m' },
  hitRatioLow: { threshold: 0.5, for: '30m' },
  /**
   * Phase 2: a key pattern is a high-value candidate above this many accesses per minute
   * (the CandidateHot alert, the candidates dashboard and the Phase 2 report's `--min-rate`).
   */
  candidateHot: { accessesPerMinute: 100, for: '1h' },
  /** Phase 2: a candidate route is slow above this p95 latency in seconds. */
  candidateRouteSlow: { p95Seconds: 0.5, for: '15m' },
  patternCardinality: { ratio: 0.8, for: '15m' },
  circuitOpen: { for: '5m' },
  /** Some hash slots have no writable master the client can reach (failover stuck, shard lost). */
  redisSlotsWithoutMaster: { for: '5m' },
  /** Phase 3 measured hit ratio short of the Phase 2 estimate by more than `margin`. */
  hitRatioBelowEstimate: { margin: 0.05, for: '1h' },
  /** A CACHE_CONFIG_FILE reload failed and no good one followed (running config is older). */
  configReloadFailed: { for: '5m' },
  /** Grace is hiding a failing source: stale values served per minute, per key pattern. */
  staleServing: { perMinute: 1, for: '10m' },

  /**
   * Defaults of the Phase 2 report (`make phase2-report`, `scripts/phase2-report.ts`);
   * its hot-pattern threshold is `candidateHot.accessesPerMinute` above.
   */
  phase2Report: {
    /** Window the report reads, a Prometheus duration. */
    window: '7d',
    /** Estimated hit ratio a candidate needs at its recommended size. */
    minHitRatio: 0.2,
    /** A size is "enough" when its hit ratio is within this of the largest size's. */
    kneeTolerance: 0.02,
    /** Latency of a cache hit (Redis round trip + decode), in seconds. */
    hitLatencySeconds: 0.002,
    /** maxmemory = Σ memory of the whitelisted patterns × headroom. */
    headroom: 1.5,
    /** Days of continuous data the Phase 2 criterion asks for. */
    requiredDays: 7,
    /** Longest gap still "continuous", in hours. */
    maxGapHours: 1,
    /** Candidates the Phase 2 criterion asks for. */
    requiredCandidates: 5,
  },
} as const;

/** Seconds per minute: turns per-second rates into the per-minute figures thresholds use. */
export const PER_MINUTE = 60;

/** The runbook URL of an alert: the runbook file plus the GitHub slug of its heading. */
export function runbookUrl(alertName: string): string {
  return `${MONITORING_CONFIG.runbookUrlBase}#${alertName.toLowerCase()}`;
}
