import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type * as stat from '@grafana/grafana-foundation-sdk/stat';
import type * as table from '@grafana/grafana-foundation-sdk/table';
import type * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { MONITORING_CONFIG } from '../monitoring/config.ts';
import { maxBy, rate, sumBy } from '../monitoring/queries.ts';
import { RECORDED } from '../monitoring/recording.ts';
import { DASHBOARD_MATCHERS, INSTANCE_MATCHERS, NAMES, sel } from '../monitoring/selectors.ts';
import { baseDashboard } from './base.ts';
import {
  accessesPerMinute,
  estimateByPattern,
  estimatedHitRatio,
  estimatedSecondsSavedPerMinute,
  routeLatencyByPattern,
} from './candidate-queries.ts';
import {
  DATASOURCE,
  defaultStat,
  defaultTimeseries,
  instantQuery,
  mergedTable,
  promQuery,
  rankingBarGauge,
  tableQuery,
  thresholdAt,
  thresholdTimeseries,
} from './panels.ts';
import { cacheEnabledStat } from './state-panels.ts';
import { estimateSizeVariable } from './variables.ts';

const HOT = MONITORING_CONFIG.candidateHot.accessesPerMinute;
const SLOW = MONITORING_CONFIG.candidateRouteSlow.p95Seconds;
const PATTERN_INSTANCE = `${INSTANCE_MATCHERS}, key_pattern=~"$key_pattern"`;

/** p95 latency of routes by route and method. */
const routeP95 = (): string => sel(RECORDED.routeLatency, DASHBOARD_MATCHERS, 'quantile="0.95"');

/** Dashboard 2, "Phase 2 — cache candidates": which patterns and routes to cache first. */
export function cacheCandidatesDashboard(): dashboard.DashboardBuilder {
  return baseDashboard(
    'Phase 2 — cache candidates',
    'cache-candidates',
    `Key patterns above ${HOT} accesses/min and routes above ${SLOW * 1000} ms p95 are cache candidates; estimates say what hit ratio and memory caching them would take.`,
  )
    .withVariable(estimateSizeVariable())
    .withRow(new dashboard.RowBuilder('State'))
    .withPanel(cacheEnabledStat().span(24))
    .withRow(new dashboard.RowBuilder('Hot key patterns'))
    .withPanel(accessesBarGauge())
    .withPanel(accessesTimeseries())
    .withRow(new dashboard.RowBuilder('Slow routes'))
    .withPanel(routeLatencyBarGauge())
    .withPanel(candidateRequestsTimeseries())
    .withRow(new dashboard.RowBuilder('Candidates'))
    .withPanel(candidatesTable())
    .withPanel(hitRatioCurveBarGauge())
    .withPanel(estimatedHitRatioTimeseries())
    .withPanel(workingSetTimeseries())
    .withPanel(patternCardinalityStat());
}

function accessesBarGauge(): bargauge.PanelBuilder {
  return rankingBarGauge(
    'Key patterns by accesses/min',
    `Ranked; orange from ${HOT}/min, the MetasheetCacheCandidateHot threshold.`,
    thresholdAt(HOT, 'orange', 'blue'),
  )
    .withTarget(instantQuery(`sort_desc(${accessesPerMinute()})`, '{{key_pattern}}'))
    .unit('short');
}

function accessesTimeseries(): timeseries.PanelBuilder {
  return thresholdTimeseries(
    'Accesses/min by key pattern',
    `Cache gets per minute; the dashed line is the ${HOT}/min candidate threshold.`,
    HOT,
  )
    .withTarget(promQuery(accessesPerMinute(), '{{key_pattern}}'))
    .min(0);
}

function routeLatencyBarGauge(): bargauge.PanelBuilder {
  return rankingBarGauge(
    'Routes by p95 latency',
    `Ranked; red from ${SLOW * 1000} ms, the MetasheetCacheCandidateRouteSlow threshold.`,
    thresholdAt(SLOW),
  )
    .withTarget(instantQuery(`sort_desc(${routeP95()})`, '{{method}} {{route}}'))
    .unit('s');
}

function candidateRequestsTimeseries(): timeseries.PanelBuilder {
  return defaultTimeseries(
    'Candidate requests/s by route and method',
    'Requests to routes marked as cache candidates.',
  )
    .withTarget(
      promQuery(
        sumBy(
          ['route', 'method'],
          rate(sel(NAMES.candidateRequests, INSTANCE_MATCHERS), '$__rate_interval'),
        ),
        '{{method}} {{route}}',
      ),
    )
    .unit('reqps')
    .min(0);
}

function candidatesTable(): table.PanelBuilder {
  return mergedTable(
    'Candidates',
    'One row per key pattern: accesses/min, estimated hit ratio at $estimate_size entries, estimated working set, the worst p95 of the routes that read it, and the source time per minute a cache would save (accesses × estimated hit ratio × median route latency).',
  )
    .withTarget(tableQuery(accessesPerMinute()))
    .withTarget(tableQuery(estimatedHitRatio()))
    .withTarget(tableQuery(estimateByPattern(NAMES.workingSetBytes)))
    .withTarget(tableQuery(routeLatencyByPattern(0.95)))
    .withTarget(tableQuery(estimatedSecondsSavedPerMinute()))
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: { Time: true },
        renameByName: {
          key_pattern: 'Key pattern',
          'Value #A': 'Accesses/min',
          'Value #B': 'Est. hit ratio',
          'Value #C': 'Est. working set',
          'Value #D': 'Routes p95',
          'Value #E': 'Est. time saved/min',
        },
      },
    })
    .overrideByName('Est. hit ratio', [{ id: 'unit', value: 'percentunit' }])
    .overrideByName('Est. working set', [{ id: 'unit', value: 'bytes' }])
    .overrideByName('Routes p95', [{ id: 'unit', value: 's' }])
    .overrideByName('Est. time saved/min', [{ id: 'unit', value: 's' }])
    .sortBy([
      new common.TableSortByFieldStateBuilder().displayName('Est. time saved/min').desc(true),
    ]);
}

function estimatedHitRatioTimeseries(): timeseries.PanelBuilder {
  return defaultTimeseries(
    'Estimated hit ratio by cache size',
    'What an LRU cache of each size would hit, per key pattern (sampled miss-ratio curves).',
  )
    .withTarget(
      promQuery(
        maxBy(['key_pattern', 'size_entries'], sel(NAMES.estimatedHitRatio, PATTERN_INSTANCE)),
        '{{key_pattern}} @ {{size_entries}}',
      ),
    )
    .unit('percentunit')
    .min(0)
    .max(1)
    .span(10);
}

function workingSetTimeseries(): timeseries.PanelBuilder {
  return defaultTimeseries(
    'Estimated working set',
    'Bytes of the distinct live keys of each pattern: the Redis memory caching it needs.',
  )
    .withTarget(
      promQuery(
        maxBy(['key_pattern'], sel(NAMES.workingSetBytes, PATTERN_INSTANCE)),
        '{{key_pattern}}',
      ),
    )
    .unit('bytes')
    .min(0)
    .span(8);
}

function patternCardinalityStat(): stat.PanelBuilder {
  return defaultStat(
    'Key patterns tracked / limit',
    `Distinct key_pattern values per instance against the limit; MetasheetCacheKeyPatternCardinalityHigh fires above ${MONITORING_CONFIG.patternCardinality.ratio * 100}%.`,
  )
    .withTarget(
      promQuery(
        maxBy(['instance'], sel(NAMES.patternsTracked, INSTANCE_MATCHERS)),
        'tracked {{instance}}',
      ),
    )
    .withTarget(
      promQuery(
        maxBy(['instance'], sel(NAMES.patternLimit, INSTANCE_MATCHERS)),
        'limit {{instance}}',
      ),
    )
    .span(6)
    .height(9);
}

/**
 * The whole estimated curve over the dashboard's time range, as the report reads it:
 * modelled hits at each Redis size / modelled gets, summed across pods. One bar per size.
 */
function hitRatioCurveBarGauge(): bargauge.PanelBuilder {
  const over = (metric: string, by: string[]) =>
    sumBy(by, `increase(${sel(metric, PATTERN_INSTANCE)}[$__range])`);
  return new bargauge.PanelBuilder()
    .title('Hit ratio vs Redis memory ($key_pattern, this time range)')
    .description(
      'The estimated hit ratio of a shared Redis (allkeys-lru) of each size in bytes — keys, values, TTLs and tag sets as Redis stores them — over the selected time range, all pods together: the curve `make phase2-report` reads its recommended size from. Bars read left to right in growing memory (label: bytes).',
    )
    .datasource(DATASOURCE)
    .withTarget(
      instantQuery(
        `${over(NAMES.estimatedHits, ['key_pattern', 'size_bytes'])} / on (key_pattern) group_left () ${over(NAMES.estimatedGets, ['key_pattern'])}`,
        '{{key_pattern}} ≤ {{size_bytes}} B',
      ),
    )
    .orientation(common.VizOrientation.Vertical)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .unit('percentunit')
    .min(0)
    .max(1)
    .height(9)
    .span(24);
}
