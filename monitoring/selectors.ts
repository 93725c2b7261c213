/**
 * The one selector builder: metric names (from the metric contract only), the labels that
 * identify a deployment, the rules' selector of the service's series and the dashboards'
 * template-variable matchers. Rules, dashboards and the Phase 2 report all build their
 * selectors with `sel` from here.
 */
import { METRICS } from '../service/metrics/names.ts';
import { MONITORING_CONFIG } from './config.ts';

/** Labels that identify one deployment; recording rules aggregate down to them. */
export const DEPLOYMENT = ['namespace', 'job'] as const;
/** Deployment labels plus `key_pattern`: what the per-pattern recording rules keep. */
export const BY_PATTERN = [...DEPLOYMENT, 'key_pattern'] as const;

/** The rules' matcher of the service's own series (the scrape job). */
export const SERVICE_MATCHERS = MONITORING_CONFIG.selector;

/** Matchers of the dashboards' template variables (`$namespace`, `$job`). */
export const DASHBOARD_MATCHERS = 'namespace=~"$namespace", job=~"$job"';
/** Dashboard matchers plus `$instance`, for panels on raw (per-instance) series. */
export const INSTANCE_MATCHERS = `${DASHBOARD_MATCHERS}, instance=~"$instance"`;
/** Dashboard matchers plus `$key_pattern`. */
export const PATTERN_MATCHERS = `${DASHBOARD_MATCHERS}, key_pattern=~"$key_pattern"`;
/** Instance matchers plus `$key_pattern`, for per-instance estimator gauges. */
export const PATTERN_INSTANCE_MATCHERS = `${INSTANCE_MATCHERS}, key_pattern=~"$key_pattern"`;

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
  httpSum: `${METRICS.httpDuration.name}_sum`,
  httpCount: `${METRICS.httpDuration.name}_count`,
  patternsTracked: METRICS.keyPatternsTracked.name,
  patternLimit: METRICS.keyPatternLimit.name,
  entries: METRICS.cacheEntries.name,
  sizeBytes: METRICS.cacheSizeBytes.name,
  estimatedHitRatio: METRICS.estimatedHitRatio.name,
  estimatedHitRatioBytes: METRICS.estimatedHitRatioBytes.name,
  workingSetBytes: METRICS.estimatedWorkingSetBytes.name,
  workingSetEntries: METRICS.estimatedWorkingSetEntries.name,
  tagSetBytes: METRICS.estimatedTagSetBytes.name,
  tagSets: METRICS.estimatedTagSets.name,
  tagSetsBytes: METRICS.estimatedTagSetsBytes.name,
  samplingRate: METRICS.estimatorSamplingRate.name,
  sharedReplicas: METRICS.estimatorSharedReplicas.name,
  estimatedHits: METRICS.estimatedHits.name,
  estimatedGets: METRICS.estimatedGets.name,
  abRequests: METRICS.abRequests.name,
  circuitOpen: METRICS.circuitOpen.name,
  patternEnabled: METRICS.patternEnabled.name,
  redisNodes: METRICS.redisNodes.name,
  redisSlotsWithoutMaster: METRICS.redisSlotsWithoutMaster.name,
  redisNodeErrors: METRICS.redisNodeErrors.name,
  configReloads: METRICS.configReloads.name,
  configLastReloadSuccessful: METRICS.configLastReloadSuccessful.name,
  configLastReloadSuccessTime: METRICS.configLastReloadSuccessTime.name,
  redisUp: METRICS.redisUp.name,
  redisMemoryUsed: METRICS.redisMemoryUsed.name,
  redisMemoryMax: METRICS.redisMemoryMax.name,
  redisDbKeys: METRICS.redisDbKeys.name,
  redisPatternKeys: METRICS.redisPatternKeys.name,
  redisPatternMemory: METRICS.redisPatternMemory.name,
  staleServed: METRICS.staleServed.name,
} as const;

/** The counters whose sum is a pattern's gets (accesses): a failed get is neither. */
export const GETS = [NAMES.hits, NAMES.misses] as const;

/** Matcher lists joined into one (`a="x", b=~"y"`); empty ones are dropped. */
export function matchers(...lists: string[]): string {
  return lists.filter((x) => x !== '').join(', ');
}

/** `metric{m1, m2}`; empty matchers are dropped (no matchers: the bare name). */
export function sel(metric: string, ...lists: string[]): string {
  const m = matchers(...lists);
  return m === '' ? metric : `${metric}{${m}}`;
}
