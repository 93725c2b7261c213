/**
 * Template variables shared by the dashboards: the Prometheus data source, then
 * namespace → job → instance → key_pattern, each filtered by the ones before it.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DASHBOARD_MATCHERS, NAMES, sel } from '../monitoring/selectors.ts';
import { DEFAULT_ESTIMATE_SIZES_ENTRIES } from '../service/metrics/names.ts';
import { DATASOURCE } from './panels.ts';

const all = { selected: true, text: 'All', value: '$__all' };

/** A multi-value query variable over `label_values(selector, label)` with "All". */
function labelVariable(
  name: string,
  label: string,
  selector: string,
  allValue: string,
): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .query(`label_values(${selector}, ${name})`)
    .datasource(DATASOURCE)
    .current(all)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(allValue);
}

/** `$datasource`: any Prometheus data source. */
export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource')
    .label('Data source')
    .type('prometheus')
    .multi(false);
}

/** `$namespace`; "All" is `.*` so that series without a namespace label still match. */
export function namespaceVariable(): dashboard.QueryVariableBuilder {
  return labelVariable('namespace', 'Namespace', NAMES.enabled, '.*');
}

/** `$job`, within the selected namespaces. */
export function jobVariable(): dashboard.QueryVariableBuilder {
  return labelVariable('job', 'Job', sel(NAMES.enabled, 'namespace=~"$namespace"'), '.+');
}

/** `$instance`, within the selected namespaces and jobs. */
export function instanceVariable(): dashboard.QueryVariableBuilder {
  return labelVariable('instance', 'Instance', sel(NAMES.enabled, DASHBOARD_MATCHERS), '.+');
}

/** Every pattern that was read has a miss series (the first read of a key misses). */
export function keyPatternVariable(): dashboard.QueryVariableBuilder {
  return labelVariable('key_pattern', 'Key pattern', sel(NAMES.misses, DASHBOARD_MATCHERS), '.+');
}

/** `$estimate_size`: the cache size (entries) at which estimated hit ratios are shown. */
export function estimateSizeVariable(): dashboard.CustomVariableBuilder {
  const sizes = DEFAULT_ESTIMATE_SIZES_ENTRIES.map(String);
  const initial = sizes[Math.min(2, sizes.length - 1)] ?? '';
  return new dashboard.CustomVariableBuilder('estimate_size')
    .label('Estimate at cache size (entries)')
    .values(sizes.join(','))
    .current({ selected: true, text: initial, value: initial })
    .multi(false);
}

/** The variables every dashboard has, in order. */
export function standardVariables(): cog.Builder<dashboard.VariableModel>[] {
  return [
    datasourceVariable(),
    namespaceVariable(),
    jobVariable(),
    instanceVariable(),
    keyPatternVariable(),
  ];
}
