import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { standardVariables } from './variables.ts';

/** Tag of every generated dashboard (dashboard links list them by it). */
export const DASHBOARD_TAG = 'metasheet-cache';

/**
 * A dashboard with the shared settings: tags, 30 s refresh, last 6 h, the standard
 * variables, and a drop-down linking the other metasheet-cache dashboards.
 */
export function baseDashboard(
  title: string,
  uid: string,
  description: string,
): dashboard.DashboardBuilder {
  let b = new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([DASHBOARD_TAG, 'generated'])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .timepicker(
      new dashboard.TimePickerBuilder().refreshIntervals(['10s', '30s', '1m', '5m', '15m', '1h']),
    )
    .link(
      new dashboard.DashboardLinkBuilder('Cache dashboards')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([DASHBOARD_TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    );
  for (const v of standardVariables()) b = b.withVariable(v);
  return b;
}
