/**
 * Phase 2 PromQL by key pattern: accesses, estimates, the latency of the routes that read
 * a pattern (joined through the service's route table), and the time caching would save.
 */

import { maxBy, perMinute, sumBy } from '../monitoring/queries.ts';
import { RECORDED } from '../monitoring/recording.ts';
import {
  DASHBOARD_MATCHERS,
  NAMES,
  PATTERN_INSTANCE_MATCHERS,
  PATTERN_MATCHERS,
  sel,
} from '../monitoring/selectors.ts';
import { API_ROUTES } from '../service/api/routes-table.ts';

/** Accesses (gets) per minute by key pattern, from the shared recording rule. */
export function accessesPerMinute(): string {
  return perMinute(sumBy(['key_pattern'], sel(RECORDED.gets, PATTERN_MATCHERS)));
}

/** An estimator gauge by key pattern (worst instance). */
export function estimateByPattern(metric: string, ...matchers: string[]): string {
  return maxBy(['key_pattern'], sel(metric, PATTERN_INSTANCE_MATCHERS, ...matchers));
}

/** Estimated hit ratio by key pattern at the `$estimate_size` cache size. */
export function estimatedHitRatio(): string {
  return estimateByPattern(NAMES.estimatedHitRatio, 'size_entries="$estimate_size"');
}

/**
 * Latency quantile `q` of the slowest GET route that reads each key pattern. Routes and
 * patterns are joined through `API_ROUTES` (route → key pattern) with `label_replace`.
 */
export function routeLatencyByPattern(q: number): string {
  const joined = API_ROUTES.filter((r) => r.method === 'GET').map(
    (r) =>
      `label_replace(${sel(RECORDED.routeLatency, DASHBOARD_MATCHERS, `quantile="${q}"`, `route="${r.route}"`, `method="${r.method}"`)}, "key_pattern", "${r.keyPattern}", "", "")`,
  );
  return maxBy(['key_pattern'], joined.join(' or '));
}

/**
 * Seconds of source time per minute a cache would save for each pattern: accesses/min ×
 * estimated hit ratio × median latency of its routes (a hit costs ~0 next to a load).
 */
export function estimatedSecondsSavedPerMinute(): string {
  return `${accessesPerMinute()} * ${estimatedHitRatio()} * ${routeLatencyByPattern(0.5)}`;
}
