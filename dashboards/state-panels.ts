/**
 * Panels more than one dashboard shows: whether the cache is on (so an empty cache panel
 * reads as "FEATURE_CACHE is off", not as a fault).
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import type * as stat from '@grafana/grafana-foundation-sdk/stat';
import { maxBy } from '../monitoring/queries.ts';
import { INSTANCE_MATCHERS, NAMES, sel } from '../monitoring/selectors.ts';
import { CACHE_STATE_TITLE, defaultStat, onOffMapping, promQuery } from './panels.ts';

/** Per instance: On when FEATURE_CACHE is on and an implementation is active, else Off. */
export function cacheEnabledStat(): stat.PanelBuilder {
  return defaultStat(
    CACHE_STATE_TITLE,
    'Per instance: On when FEATURE_CACHE is on and an implementation is active. Off: FEATURE_CACHE=false, so the cache panels of this dashboard stay empty.',
  )
    .withTarget(
      promQuery(maxBy(['instance'], sel(NAMES.enabled, INSTANCE_MATCHERS)), '{{instance}}'),
    )
    .mappings(onOffMapping('Off (FEATURE_CACHE=false)', 'On'))
    .colorMode(common.BigValueColorMode.Value);
}
