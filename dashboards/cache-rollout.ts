import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type * as stat from '@grafana/grafana-foundation-sdk/stat';
import type * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { MONITORING_CONFIG, PER_MINUTE } from '../monitoring/config.ts';
import { maxBy, rate, sumBy } from '../monitoring/queries.ts';
import { RECORDED } from '../monitoring/recording.ts';
import {
  DASHBOARD_MATCHERS,
  DEPLOYMENT,
  INSTANCE_MATCHERS,
  NAMES,
  PATTERN_MATCHERS,
  sel,
} from '../monitoring/selectors.ts';
import { baseDashboard } from './base.ts';
import {
  defaultStat,
  defaultTimeseries,
  onOffMapping,
  promQuery,
  thresholdTimeseries,
} from './panels.ts';
import { cacheEnabledStat } from './state-panels.ts';

const enabledPatterns = (): string =>
  `${maxBy([...DEPLOYMENT, 'key_pattern'], sel(NAMES.patternEnabled, PATTERN_MATCHERS))} == 1`;

/** Dashboard 3, "Phase 3 — rollout": whitelisted patterns, their hit ratio, and the A/B proof. */
export function cacheRolloutDashboard(): dashboard.DashboardBuilder {
  return baseDashboard(
    'Phase 3 — rollout',
    'cache-rollout',
    'Key patterns served by the real cache (whitelist), how well they hit, cache failures, and latency by A/B variant.',
  )
    .withRow(new dashboard.RowBuilder('Whitelisted patterns'))
    .withPanel(cacheEnabledStat())
    .withPanel(patternsEnabledStat())
    .withPanel(circuitOpenStat())
    .withPanel(enabledHitRatioTimeseries())
    .withPanel(hitRatioVsEstimateTimeseries())
    .withPanel(errorRatioTimeseries())
    .withRow(new dashboard.RowBuilder('Redis topology'))
    .withPanel(redisTopologyTimeseries())
    .withPanel(redisShardErrorsTimeseries())
    .withRow(new dashboard.RowBuilder('Grace (stale-if-error)'))
    .withPanel(staleServedTimeseries())
    .withRow(new dashboard.RowBuilder('A/B split'))
    .withPanel(abRequestsTimeseries())
    .withPanel(variantLatencyTimeseries())
    .withRow(new dashboard.RowBuilder('Redis'))
    .withPanel(redisUpStat())
    .withPanel(redisMemoryTimeseries())
    .withPanel(redisPatternMemoryTimeseries())
    .withPanel(redisMemoryVsEstimateTimeseries())
    .withPanel(redisPatternKeysTimeseries());
}

function patternsEnabledStat(): stat.PanelBuilder {
  return defaultStat('Patterns served by the cache', 'Key patterns in the rollout whitelist.')
    .withTarget(
      promQuery(
        maxBy(['key_pattern'], sel(NAMES.patternEnabled, PATTERN_MATCHERS)),
        '{{key_pattern}}',
      ),
    )
    .mappings(onOffMapping('off', 'on'))
    .colorMode(common.BigValueColorMode.Value)
    .span(10);
}

function circuitOpenStat(): stat.PanelBuilder {
  return defaultStat('Circuit breaker', 'Open: the cache is bypassed after repeated failures.')
    .withTarget(
      promQuery(
        maxBy(['instance', 'impl'], sel(NAMES.circuitOpen, INSTANCE_MATCHERS)),
        '{{impl}} {{instance}}',
      ),
    )
    .mappings(onOffMapping('closed', 'open', 'red', 'green'))
    .colorMode(common.BigValueColorMode.Value)
    .span(8);
}

function enabledHitRatioTimeseries(): timeseries.PanelBuilder {
  return thresholdTimeseries(
    'Hit ratio of whitelisted patterns',
    'Real hit ratio of the patterns served by the cache; the dashed line is the MetasheetCacheHitRatioLow threshold.',
    MONITORING_CONFIG.hitRatioLow.threshold,
  )
    .withTarget(
      promQuery(
        `${sel(RECORDED.hitRatio, PATTERN_MATCHERS)} and on (${[...DEPLOYMENT, 'key_pattern'].join(', ')}) ${enabledPatterns()}`,
        '{{key_pattern}}',
      ),
    )
    .unit('percentunit')
    .min(0)
    .max(1);
}

function errorRatioTimeseries(): timeseries.PanelBuilder {
  // cache_errors_total has no key_pattern label (errors are per implementation), so the
  // error rate of the rollout is the implementation's, split by error type.
  return thresholdTimeseries(
    'Cache error ratio and errors by type',
    'Errors carry no key pattern: this is the error ratio of the implementation serving the whitelist.',
    MONITORING_CONFIG.errorRatio.threshold,
  )
    .withTarget(promQuery(sel(RECORDED.errorRatio, DASHBOARD_MATCHERS), 'error ratio'))
    .withTarget(
      promQuery(
        `${sumBy(['error_type'], rate(sel(NAMES.errors, INSTANCE_MATCHERS), '$__rate_interval'))} / scalar(sum(${sel(RECORDED.operations, DASHBOARD_MATCHERS)}))`,
        '{{error_type}}',
      ),
    )
    .unit('percentunit')
    .min(0);
}

function redisTopologyTimeseries(): timeseries.PanelBuilder {
  return defaultTimeseries(
    'Redis nodes and slots without a master',
    'Masters and replicas the Redis client sees (Cluster: from its slot map; Sentinel: from the sentinels), and hash slots with no reachable writable master (alert MetasheetCacheRedisSlotsWithoutMaster).',
  )
    .withTarget(
      promQuery(
        maxBy(['instance', 'role'], sel(NAMES.redisNodes, INSTANCE_MATCHERS)),
        '{{role}}s {{instance}}',
      ),
    )
    .withTarget(
      promQuery(
        maxBy(['instance'], sel(NAMES.redisSlotsWithoutMaster, INSTANCE_MATCHERS)),
        'slots without master {{instance}}',
      ),
    )
    .min(0);
}

function redisShardErrorsTimeseries(): timeseries.PanelBuilder {
  return defaultTimeseries(
    'Redis errors/s by shard',
    'Failed Redis operations by shard (Cluster: master rank by lowest slot) and error type: one bad shard shows alone.',
  )
    .withTarget(
      promQuery(
        sumBy(
          ['shard', 'error_type'],
          rate(sel(NAMES.redisNodeErrors, INSTANCE_MATCHERS), '$__rate_interval'),
        ),
        'shard {{shard}} {{error_type}}',
      ),
    )
    .unit('ops')
    .min(0);
}

function staleServedTimeseries(): timeseries.PanelBuilder {
  return thresholdTimeseries(
    'Stale responses/s by key pattern',
    'Reads answered from a stale copy in grace because the refresh failed or missed the soft timeout; the dashed line is the MetasheetCacheStaleServing threshold.',
    MONITORING_CONFIG.staleServing.perMinute / PER_MINUTE,
  )
    .withTarget(
      promQuery(
        sumBy(['key_pattern'], rate(sel(NAMES.staleServed, PATTERN_MATCHERS), '$__rate_interval')),
        '{{key_pattern}}',
      ),
    )
    .unit('reqps')
    .min(0)
    .span(24);
}

function abRequestsTimeseries(): timeseries.PanelBuilder {
  return defaultTimeseries(
    'A/B requests/s by variant',
    'Requests of whitelisted patterns by A/B variant.',
  )
    .withTarget(
      promQuery(
        sumBy(
          ['variant', 'key_pattern'],
          rate(sel(NAMES.abRequests, PATTERN_MATCHERS), '$__rate_interval'),
        ),
        '{{variant}} {{key_pattern}}',
      ),
    )
    .unit('reqps')
    .min(0);
}

function variantLatencyTimeseries(): timeseries.PanelBuilder {
  return defaultTimeseries(
    'Latency p50/p95 by A/B variant',
    'treatment reads through the cache, control bypasses it; "off" is traffic outside the split.',
  )
    .withTarget(
      promQuery(
        sel(RECORDED.variantLatency, DASHBOARD_MATCHERS, 'variant!="off"'),
        '{{variant}} p{{quantile}}',
      ),
    )
    .unit('s')
    .min(0);
}

// Redis is shared by every instance, so each reports the same figures: `max`, never `sum`.
// The figures are read at scrape time (INFO, DBSIZE, SCAN + MEMORY USAGE), not per request.

function redisUpStat(): stat.PanelBuilder {
  return defaultStat(
    'Redis reachable',
    'Per instance: whether the last read of Redis size (at scrape time) got an answer.',
  )
    .withTarget(
      promQuery(maxBy(['instance'], sel(NAMES.redisUp, INSTANCE_MATCHERS)), '{{instance}}'),
    )
    .mappings(onOffMapping('down', 'up'))
    .colorMode(common.BigValueColorMode.Value)
    .height(8)
    .span(6);
}

function redisMemoryTimeseries(): timeseries.PanelBuilder {
  return defaultTimeseries(
    'Redis memory and keys',
    'used_memory and maxmemory (0: no limit) of the whole Redis server, and its keys per database (every prefix, not only the cache).',
  )
    .withTarget(promQuery(`max(${sel(NAMES.redisMemoryUsed, INSTANCE_MATCHERS)})`, 'used'))
    .withTarget(promQuery(`max(${sel(NAMES.redisMemoryMax, INSTANCE_MATCHERS)})`, 'maxmemory'))
    .withTarget(promQuery(maxBy(['db'], sel(NAMES.redisDbKeys, INSTANCE_MATCHERS)), 'keys {{db}}'))
    .overrideByName('keys db0', [{ id: 'unit', value: 'short' }])
    .unit('bytes')
    .min(0)
    .span(6);
}

function redisPatternMemoryTimeseries(): timeseries.PanelBuilder {
  return defaultTimeseries(
    'Redis memory by key pattern',
    "MEMORY USAGE of the cache's value keys and tag sets per pattern (a sample per pattern times its key count).",
  )
    .withTarget(
      promQuery(
        maxBy(['key_pattern'], sel(NAMES.redisPatternMemory, PATTERN_MATCHERS)),
        '{{key_pattern}}',
      ),
    )
    .unit('bytes')
    .min(0)
    .span(6);
}

function redisPatternKeysTimeseries(): timeseries.PanelBuilder {
  return defaultTimeseries(
    'Keys in Redis by key pattern',
    'Value keys under the cache prefix per pattern (SCAN at scrape time, bounded; scaled up when cut short).',
  )
    .withTarget(
      promQuery(
        maxBy(['key_pattern'], sel(NAMES.redisPatternKeys, PATTERN_MATCHERS)),
        '{{key_pattern}}',
      ),
    )
    .unit('short')
    .min(0)
    .span(6);
}

/** Phase 3 against Phase 2: each whitelisted pattern's measured hit ratio and the estimate. */
function hitRatioVsEstimateTimeseries(): timeseries.PanelBuilder {
  return defaultTimeseries(
    'Hit ratio: measured vs Phase 2 estimate',
    `Whitelisted patterns: what Redis hits, and what the estimator says a cache holding their whole working set would hit for the same traffic. MetasheetCacheHitRatioBelowEstimate fires ${MONITORING_CONFIG.hitRatioBelowEstimate.margin} below the estimate for ${MONITORING_CONFIG.hitRatioBelowEstimate.for}.`,
  )
    .withTarget(
      promQuery(
        `${sel(RECORDED.hitRatio, PATTERN_MATCHERS)} and on (${[...DEPLOYMENT, 'key_pattern'].join(', ')}) ${enabledPatterns()}`,
        '{{key_pattern}} measured',
      ),
    )
    .withTarget(
      promQuery(
        `${sel(RECORDED.estimatedHitRatio, PATTERN_MATCHERS)} and on (${[...DEPLOYMENT, 'key_pattern'].join(', ')}) ${enabledPatterns()}`,
        '{{key_pattern}} estimated',
      ),
    )
    .unit('percentunit')
    .min(0)
    .max(1);
}

/** Phase 3 against Phase 2: Redis memory per pattern next to the estimated working set. */
function redisMemoryVsEstimateTimeseries(): timeseries.PanelBuilder {
  return defaultTimeseries(
    'Redis memory vs estimated working set',
    'Per whitelisted pattern: what its keys and tag sets take in Redis (MEMORY USAGE samples) and the working set the Phase 2 estimator models in Redis bytes — the memory the report recommends when it fits.',
  )
    .withTarget(
      promQuery(
        maxBy(['key_pattern'], sel(NAMES.redisPatternMemory, PATTERN_MATCHERS)),
        '{{key_pattern}} in Redis',
      ),
    )
    .withTarget(
      promQuery(
        `${maxBy(['key_pattern'], sel(NAMES.workingSetBytes, PATTERN_MATCHERS))} and on (key_pattern) ${maxBy(['key_pattern'], sel(NAMES.patternEnabled, PATTERN_MATCHERS))} == 1`,
        '{{key_pattern}} estimated',
      ),
    )
    .unit('bytes')
    .min(0);
}
