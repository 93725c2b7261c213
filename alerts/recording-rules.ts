import {
  DEPLOYMENT,
  LATENCY_QUANTILES,
  NAMES,
  quantileOf,
  RECORDED,
  rate,
  sel,
  sumBy,
  sumOfRates,
} from '../dashboards/queries.ts';
import { CURVE_SIZES_BYTES } from '../service/estimator/estimator.ts';
import { ALERT_CONFIG } from './config.ts';
import type { RecordingRule, RuleGroup } from './types.ts';

const s = ALERT_CONFIG.selector;
const w = ALERT_CONFIG.rateWindow;
const byPattern = [...DEPLOYMENT, 'key_pattern'];

/**
 * The recording rules: every expression that dashboards and alerts share. Rules of a
 * group run in order, so later rules read the series earlier ones recorded in the same
 * evaluation.
 */
export function buildRecordingGroup(): RuleGroup {
  const rules: RecordingRule[] = [
    { record: RECORDED.hits, expr: sumBy(byPattern, rate(sel(NAMES.hits, s), w)) },
    {
      record: RECORDED.gets,
      expr: sumOfRates(byPattern, [NAMES.hits, NAMES.misses], s, w),
    },
    // A pattern without a single hit has no `hits` series: `or gets * 0` makes its ratio
    // 0 rather than absent, so a low hit ratio can alert. No gets: no ratio (not NaN).
    {
      record: RECORDED.hitRatio,
      expr: `(${RECORDED.hits} or ${RECORDED.gets} * 0) / (${RECORDED.gets} > 0)`,
    },
    // The Phase 2 estimate, kept in Phase 3: modelled hits in a cache holding the whole
    // working set (the largest curve size) over modelled gets.
    {
      record: RECORDED.estimatedHitRatio,
      expr: `${sumBy(byPattern, rate(sel(NAMES.estimatedHits, s, `size_bytes="${CURVE_SIZES_BYTES.at(-1)}"`), w))}\n/ (${sumBy(byPattern, rate(sel(NAMES.estimatedGets, s), w))} > 0)`,
    },
    // A failed get counts as neither hit nor miss, so errors are part of the attempts.
    {
      record: RECORDED.operations,
      expr: sumOfRates(
        DEPLOYMENT,
        [NAMES.hits, NAMES.misses, NAMES.sets, NAMES.dels, NAMES.errors],
        s,
        w,
      ),
    },
    { record: RECORDED.errors, expr: sumBy(DEPLOYMENT, rate(sel(NAMES.errors, s), w)) },
    {
      record: RECORDED.errorRatio,
      expr: `${RECORDED.errors} / (${RECORDED.operations} > 0)`,
    },
    { record: RECORDED.staleServed, expr: sumBy(byPattern, rate(sel(NAMES.staleServed, s), w)) },
    ...LATENCY_QUANTILES.map((q) => ({
      record: RECORDED.routeLatency,
      expr: quantileOf(q, [...DEPLOYMENT, 'route', 'method'], s, w),
      labels: { quantile: String(q) },
    })),
    ...LATENCY_QUANTILES.map((q) => ({
      record: RECORDED.variantLatency,
      expr: quantileOf(q, [...DEPLOYMENT, 'variant'], s, w),
      labels: { quantile: String(q) },
    })),
  ];
  return { name: 'metasheet-cache.rules', rules };
}
