import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type * as stat from '@grafana/grafana-foundation-sdk/stat';
import type * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { MONITORING_CONFIG } from '../monitoring/config.ts';
import { maxBy, rate, sumBy } from '../monitoring/queries.ts';
import { RECORDED } from '../monitoring/recording.ts';
import {
  DASHBOARD_MATCHERS,
  INSTANCE_MATCHERS,
  NAMES,
  PATTERN_MATCHERS,
  sel,
} from '../monitoring/selectors.ts';
import { baseDashboard } from './base.ts';
import { defaultStat, defaultTimeseries, promQuery, thresholdTimeseries } from './panels.ts';
import { cacheEnabledStat } from './state-panels.ts';

const RI = '$__rate_interval';
const PATTERN_INSTANCE = `${INSTANCE_MATCHERS}, key_pattern=~"$key_pattern"`;

/** Dashboard 1, "Cache overview": is the cache on, what does it do, does it fail. */
export function cacheOverviewDashboard(): dashboard.DashboardBuilder {
  return baseDashboard(
    'Cache overview',
    'cache-overview',
    'State, traffic, hit ratio, errors and invalidations of the metasheet-cache cache layer.',
  )
    .withRow(new dashboard.RowBuilder('State'))
    .withPanel(cacheEnabledStat())
    .withPanel(implementationStat())
    .withPanel(operationsStat())
    .withPanel(entriesStat())
    .withRow(new dashboard.RowBuilder('Traffic'))
    .withPanel(operationsTimeseries())
    .withPanel(hitRatioTimeseries())
    .withRow(new dashboard.RowBuilder('Errors and invalidations'))
    .withPanel(errorsTimeseries())
    .withPanel(errorRatioTimeseries())
    .withPanel(invalidationsTimeseries());
}

function implementationStat(): stat.PanelBuilder {
  return defaultStat(
    'Active implementation',
    'The implementation each instance routes cache calls to.',
  )
    .withTarget(
      promQuery(
        `${maxBy(['instance', 'impl'], sel(NAMES.enabled, INSTANCE_MATCHERS))} == 1`,
        '{{impl}}',
      ),
    )
    .textMode(common.BigValueTextMode.Name)
    .colorMode(common.BigValueColorMode.None);
}

function operationsStat(): stat.PanelBuilder {
  return defaultStat(
    'Cache operations/s',
    `Gets, sets, deletes and failures over ${MONITORING_CONFIG.rateWindow}.`,
  )
    .withTarget(promQuery(`sum(${sel(RECORDED.operations, DASHBOARD_MATCHERS)})`, 'operations/s'))
    .unit('ops')
    .decimals(1);
}

function entriesStat(): stat.PanelBuilder {
  // In process each instance holds its own entries (sum); Redis is shared, so every
  // instance reports the same keys (max).
  const size = (inProcess: string, redis: string) =>
    `sum(${sel(inProcess, INSTANCE_MATCHERS)}) or sum(${maxBy(['key_pattern'], sel(redis, INSTANCE_MATCHERS))})`;
  return defaultStat(
    'Cache size',
    'Entries and bytes the cache holds: in process (memory implementation), or in Redis (value keys under the cache prefix, MEMORY USAGE sampled per pattern). Empty with NullCache, which holds nothing.',
  )
    .withTarget(promQuery(size(NAMES.entries, NAMES.redisPatternKeys), 'entries'))
    .withTarget(promQuery(size(NAMES.sizeBytes, NAMES.redisPatternMemory), 'bytes'))
    .overrideByName('bytes', [{ id: 'unit', value: 'bytes' }])
    .textMode(common.BigValueTextMode.ValueAndName);
}

function operationsTimeseries(): timeseries.PanelBuilder {
  const op = (metric: string, verb: string) =>
    promQuery(
      sumBy(['key_pattern'], rate(sel(metric, PATTERN_INSTANCE), RI)),
      `${verb} {{key_pattern}}`,
    );
  return defaultTimeseries(
    'Operations/s by type and key pattern',
    'Cache calls per second, by operation and key pattern.',
  )
    .withTarget(op(NAMES.hits, 'hit'))
    .withTarget(op(NAMES.misses, 'miss'))
    .withTarget(op(NAMES.sets, 'set'))
    .withTarget(op(NAMES.dels, 'del'))
    .unit('ops')
    .min(0);
}

function hitRatioTimeseries(): timeseries.PanelBuilder {
  return defaultTimeseries(
    'Hit ratio by key pattern',
    `Hits / gets over ${MONITORING_CONFIG.rateWindow} (0 for NullCache, which never stores).`,
  )
    .withTarget(promQuery(sel(RECORDED.hitRatio, PATTERN_MATCHERS), '{{key_pattern}}'))
    .unit('percentunit')
    .min(0)
    .max(1);
}

function errorsTimeseries(): timeseries.PanelBuilder {
  return defaultTimeseries(
    'Errors/s by error type',
    'Failed cache calls; every one fell back to the source.',
  )
    .withTarget(
      promQuery(
        sumBy(['error_type'], rate(sel(NAMES.errors, INSTANCE_MATCHERS), RI)),
        '{{error_type}}',
      ),
    )
    .unit('ops')
    .min(0)
    .span(8);
}

function errorRatioTimeseries(): timeseries.PanelBuilder {
  return thresholdTimeseries(
    'Error ratio',
    'Share of cache operations that failed; the dashed line is the MetasheetCacheErrorsHigh threshold.',
    MONITORING_CONFIG.errorRatio.threshold,
  )
    .withTarget(promQuery(sel(RECORDED.errorRatio, DASHBOARD_MATCHERS), '{{namespace}}/{{job}}'))
    .unit('percentunit')
    .min(0)
    .span(8);
}

function invalidationsTimeseries(): timeseries.PanelBuilder {
  return defaultTimeseries(
    'Invalidations/s by tag',
    'Tag invalidations (writes), by bounded tag pattern.',
  )
    .withTarget(
      promQuery(sumBy(['tag'], rate(sel(NAMES.invalidations, INSTANCE_MATCHERS), RI)), '{{tag}}'),
    )
    .unit('ops')
    .min(0)
    .span(8);
}
