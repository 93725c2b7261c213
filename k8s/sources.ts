import { buildRuleGroups } from '../alerts/rules.ts';
import { buildAllDashboards } from '../dashboards/index.ts';
import type { MonitoringSources } from './monitoring.ts';

/**
 * The monitoring inputs from the repo's own TypeScript: the alert/recording rule groups of
 * `alerts/` (the same source as `alerts/generated/rules.yaml`) and the dashboards of
 * `dashboards/`. A function, so importing the chart never builds them.
 */
export function loadMonitoringSources(): MonitoringSources {
  return { ruleGroups: buildRuleGroups(), dashboards: buildAllDashboards() };
}
