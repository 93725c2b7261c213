import { MONITORING_CONFIG as C, runbookUrl } from '../monitoring/config.ts';
import { maxBy, perMinute, rate, sumBy } from '../monitoring/queries.ts';
import { RECORDED } from '../monitoring/recording.ts';
import { BY_PATTERN, DEPLOYMENT, NAMES, SERVICE_MATCHERS, sel } from '../monitoring/selectors.ts';
import { OTHER_PATTERN } from '../service/metrics/names.ts';
import type { AlertingRule, RuleGroup, Severity } from './types.ts';

interface AlertSpec {
  readonly expr: string;
  readonly for: string;
  readonly severity: Severity;
  /** Static one-liner. */
  readonly summary: string;
  /** Templated with `$labels` / `$value`; states the `for` from config. */
  readonly description: string;
}

/** Adds the shared name prefix, the severity label and the runbook link (one place). */
function alert(name: string, spec: AlertSpec): AlertingRule {
  const alertName = `${C.alertPrefix}${name}`;
  return {
    alert: alertName,
    expr: spec.expr,
    for: spec.for,
    labels: { severity: spec.severity },
    annotations: {
      summary: spec.summary,
      description: spec.description,
      runbook_url: runbookUrl(alertName),
    },
  };
}

const s = SERVICE_MATCHERS;
const pct = (ratio: number): string => `${Math.round(ratio * 1000) / 10}%`;
/** `namespace/job`, or just `job` when the series has no namespace (a plain scrape config). */
const dep = '{{ with $labels.namespace }}{{ . }}/{{ end }}{{ $labels.job }}';
const perInstance = [...DEPLOYMENT, 'instance'];
const onPattern = `on (${BY_PATTERN.join(', ')})`;
const enabledPatterns = `${maxBy(BY_PATTERN, sel(NAMES.patternEnabled, s))} == 1`;

/** The alerting rules, mixin style: CamelCase names with one prefix, thresholds from config. */
export function buildAlertGroup(): RuleGroup {
  return {
    name: 'metasheet-cache.alerts',
    rules: [
      alert('ErrorsHigh', {
        expr: `${RECORDED.errorRatio} > ${C.errorRatio.threshold}`,
        for: C.errorRatio.for,
        severity: 'warning',
        summary: 'Cache operations are failing.',
        description: `{{ $value | humanizePercentage }} of cache operations of ${dep} failed (above ${pct(C.errorRatio.threshold)} for ${C.errorRatio.for}); requests fall back to the source.`,
      }),
      alert('MetricsAbsent', {
        expr: `absent(${sel(NAMES.enabled, s)})`,
        for: C.metricsAbsent.for,
        severity: 'critical',
        summary: 'The cache metrics have disappeared.',
        description: `No ${NAMES.enabled} series of job {{ $labels.job }} for ${C.metricsAbsent.for}: the service is down, not scraped, or no longer exports its cache metrics.`,
      }),
      alert('Disabled', {
        expr: `${maxBy(perInstance, sel(NAMES.enabled, s))} == 0\nand on (${DEPLOYMENT.join(', ')})\n${maxBy(DEPLOYMENT, `max_over_time(${sel(NAMES.enabled, s)}[${C.cacheDisabled.lookback}])`)} == 1`,
        for: C.cacheDisabled.for,
        severity: 'warning',
        summary: 'The cache is unexpectedly disabled.',
        description: `No cache implementation is enabled on {{ $labels.instance }} of ${dep} for ${C.cacheDisabled.for}, although the job had it enabled within the last ${C.cacheDisabled.lookback}.`,
      }),
      alert('HitRatioLow', {
        expr: `${RECORDED.hitRatio} < ${C.hitRatioLow.threshold}\nand ${onPattern}\n${enabledPatterns}`,
        for: C.hitRatioLow.for,
        severity: 'warning',
        summary: 'A rolled-out key pattern has a low cache hit ratio.',
        description: `Key pattern {{ $labels.key_pattern }} of ${dep} is served by the cache but hits only {{ $value | humanizePercentage }} (below ${pct(C.hitRatioLow.threshold)} for ${C.hitRatioLow.for}).`,
      }),
      alert('CandidateHot', {
        expr: `${perMinute(sel(RECORDED.gets, `key_pattern!="${OTHER_PATTERN}"`))} > ${C.candidateHot.accessesPerMinute}\nunless ${onPattern}\n${enabledPatterns}`,
        for: C.candidateHot.for,
        severity: 'info',
        summary: 'A key pattern not yet cached is a high-value cache candidate.',
        description: `Key pattern {{ $labels.key_pattern }} of ${dep} is read {{ printf "%.0f" $value }} times per minute (above ${C.candidateHot.accessesPerMinute} for ${C.candidateHot.for}) and is not in the rollout whitelist.`,
      }),
      alert('CandidateRouteSlow', {
        expr: `${sel(RECORDED.routeLatency, 'quantile="0.95"')} > ${C.candidateRouteSlow.p95Seconds}\nand on (${[...DEPLOYMENT, 'route', 'method'].join(', ')})\n${sumBy([...DEPLOYMENT, 'route', 'method'], rate(sel(NAMES.candidateRequests, s), C.rateWindow))} > 0`,
        for: C.candidateRouteSlow.for,
        severity: 'warning',
        summary: 'A cache-candidate route is slow.',
        description: `p95 latency of {{ $labels.method }} {{ $labels.route }} of ${dep} is {{ $value | humanizeDuration }} (above ${C.candidateRouteSlow.p95Seconds * 1000}ms for ${C.candidateRouteSlow.for}).`,
      }),
      alert('KeyPatternCardinalityHigh', {
        expr: `${maxBy(perInstance, sel(NAMES.patternsTracked, s))} / ${maxBy(perInstance, sel(NAMES.patternLimit, s))} > ${C.patternCardinality.ratio}`,
        for: C.patternCardinality.for,
        severity: 'warning',
        summary: 'Key patterns are close to their limit.',
        description: `{{ $labels.instance }} of ${dep} tracks {{ $value | humanizePercentage }} of its key_pattern limit (above ${pct(C.patternCardinality.ratio)} for ${C.patternCardinality.for}); new patterns will fold into "${OTHER_PATTERN}".`,
      }),
      alert('CircuitOpen', {
        expr: `${maxBy([...perInstance, 'impl'], sel(NAMES.circuitOpen, s))} == 1`,
        for: C.circuitOpen.for,
        severity: 'warning',
        summary: 'The cache circuit breaker is open.',
        description: `The circuit breaker of cache {{ $labels.impl }} on {{ $labels.instance }} of ${dep} has bypassed the cache for ${C.circuitOpen.for}; every request goes to the source.`,
      }),
      alert('RedisSlotsWithoutMaster', {
        expr: `${maxBy(perInstance, sel(NAMES.redisSlotsWithoutMaster, s))} > 0`,
        for: C.redisSlotsWithoutMaster.for,
        severity: 'critical',
        summary: 'Redis has hash slots without a writable master.',
        description: `{{ $labels.instance }} of ${dep}: {{ $value }} hash slots without a reachable master for ${C.redisSlotsWithoutMaster.for}; their keys bypass the cache (failover stuck, or shard lost).`,
      }),
      alert('HitRatioBelowEstimate', {
        expr: `${RECORDED.hitRatio}\n< on (${BY_PATTERN.join(', ')}) ${RECORDED.estimatedHitRatio} - ${C.hitRatioBelowEstimate.margin}\nand ${onPattern}\n${enabledPatterns}`,
        for: C.hitRatioBelowEstimate.for,
        severity: 'warning',
        summary: 'A rolled-out key pattern hits less than Phase 2 estimated.',
        description: `Key pattern {{ $labels.key_pattern }} of ${dep} hits {{ $value | humanizePercentage }}, over ${C.hitRatioBelowEstimate.margin} below its estimate for ${C.hitRatioBelowEstimate.for}.`,
      }),
      alert('ConfigReloadFailed', {
        // The value is the age of the configuration in force: time since the last good load.
        expr: `(time() - ${maxBy(perInstance, sel(NAMES.configLastReloadSuccessTime, s))})\nand on (${perInstance.join(', ')})\n${maxBy(perInstance, sel(NAMES.configLastReloadSuccessful, s))} == 0`,
        for: C.configReloadFailed.for,
        severity: 'warning',
        summary: 'The last reload of the cache config file failed.',
        description: `The last reload of CACHE_CONFIG_FILE on {{ $labels.instance }} of ${dep} failed, none good for ${C.configReloadFailed.for}; it runs the config applied {{ $value | humanizeDuration }} ago.`,
      }),
      alert('StaleServing', {
        expr: `${perMinute(RECORDED.staleServed)} > ${C.staleServing.perMinute}`,
        for: C.staleServing.for,
        severity: 'warning',
        summary: 'Stale cached values are being served because the source fails.',
        description: `Key pattern {{ $labels.key_pattern }} of ${dep} served {{ printf "%.0f" $value }} stale values/min (over ${C.staleServing.perMinute} for ${C.staleServing.for}): source refreshes fail.`,
      }),
    ],
  };
}
