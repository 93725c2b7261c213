/**
 * Thresholds and `for` durations of the alert rules, in one place (the mixin `_config`
 * style): rule expressions, descriptions, promtool tests and dashboard thresholds all
 * read them from here, so prose never restates a number by hand.
 */
export const ALERT_CONFIG = {
  /** Selector of the service's own series in rules (the scrape job of the k8s ServiceMonitor). */
  selector: 'job="metasheet-cache"',
  /** The job label value the selector matches; `absent()` alerts report it. */
  job: 'metasheet-cache',
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

  errorRatio: { threshold: 0.05, for: '10m' },
  metricsAbsent: { for: '10m' },
  cacheDisabled: { lookback: '1h', for: '5m' },
  hitRatioLow: { threshold: 0.5, for: '30m' },
  /** Phase 2: a key pattern is a high-value candidate above this many accesses per minute. */
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
} as const;

/** The runbook URL of an alert: the runbook file plus the GitHub slug of its heading. */
export function runbookUrl(alertName: string): string {
  return `${ALERT_CONFIG.runbookUrlBase}#${alertName.toLowerCase()}`;
}
