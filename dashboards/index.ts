import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { cacheCandidatesDashboard } from './cache-candidates.ts';
import { cacheOverviewDashboard } from './cache-overview.ts';
import { cacheRolloutDashboard } from './cache-rollout.ts';
import { finalizeDashboard } from './finalize.ts';

/** A generated dashboard: its uid, the file it is emitted to, and its JSON model. */
export interface GeneratedDashboard {
  readonly uid: string;
  /** File name under `dashboards/generated/`, e.g. `cache-overview.json`. */
  readonly file: string;
  readonly json: Record<string, unknown>;
}

const BUILDERS: readonly (() => dashboard.DashboardBuilder)[] = [
  cacheOverviewDashboard,
  cacheCandidatesDashboard,
  cacheRolloutDashboard,
];

/** Every dashboard, built fresh, with panel ids and query refIds set. */
export function buildAllDashboards(): Array<{
  uid: string;
  file: string;
  json: Record<string, unknown>;
}> {
  return BUILDERS.map((build) => {
    const json = finalizeDashboard(build().build());
    const uid = String(json.uid);
    return { uid, file: `${uid}.json`, json };
  });
}

/** The file text of a dashboard (stable: 2-space JSON and a final newline). */
export function renderDashboard(d: GeneratedDashboard): string {
  return `${JSON.stringify(d.json, null, 2)}\n`;
}
