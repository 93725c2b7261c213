import { createHash } from 'node:crypto';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { MONITORING_CONFIG } from '../monitoring/config.ts';
import type { StagingConfig } from './config.ts';
import { SERVICE_PORT_NAME } from './service-env.ts';

/** Path the service serves Prometheus metrics on (the one monitoring config's scrape path). */
export const METRICS_PATH = MONITORING_CONFIG.scrape.path;
/** Label the Grafana dashboard sidecar watches for. */
export const GRAFANA_DASHBOARD_LABEL = 'grafana_dashboard';
/** Annotation naming the committed file a dashboard ConfigMap's data is (`dashboards/generated/…`). */
export const DASHBOARD_FILE_ANNOTATION = 'metasheet.io/dashboard-file';
/** Annotation holding the sha256 of that data, so the committed YAML changes by one line with it. */
export const DASHBOARD_SHA_ANNOTATION = 'metasheet.io/dashboard-sha256';
/** Where `make dashboards` writes the dashboard files. */
export const DASHBOARDS_DIR = 'dashboards/generated';

/** sha256 hex of a text. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** One alerting or recording rule, as `alerts/rules.ts` builds it (Prometheus rule-file shape). */
export interface RuleSource {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}
/** A Prometheus rule group, as `alerts/rules.ts` `buildRuleGroups()` returns it. */
export interface RuleGroupSource {
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly RuleSource[];
}
/** A dashboard, as `dashboards/index.ts` `buildAllDashboards()` returns it. */
export interface DashboardSource {
  readonly uid: string;
  readonly file: string;
  readonly json: unknown;
}
/** What the monitoring objects are built from; injected so the chart has no import-time I/O. */
export interface MonitoringSources {
  readonly ruleGroups: readonly RuleGroupSource[];
  readonly dashboards: readonly DashboardSource[];
}

type PrometheusRuleGroup = NonNullable<IPrometheusRule['spec']['groups']>[number];

/**
 * ServiceMonitor (scrapes METRICS_PATH on the named service port), PrometheusRule (the
 * groups from `alerts/`, unchanged), and one ConfigMap per dashboard for the Grafana sidecar.
 * The CRD objects are typed with @kubernetes-models/prometheus-operator.
 */
export function addMonitoring(
  scope: Construct,
  config: StagingConfig,
  selectorLabels: Readonly<Record<string, string>>,
  sources: MonitoringSources,
): void {
  const serviceMonitor: IServiceMonitor = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: config.appName, labels: { ...config.monitoringLabels } },
    spec: {
      selector: { matchLabels: { ...selectorLabels } },
      namespaceSelector: { matchNames: [config.namespace] },
      endpoints: [
        {
          port: SERVICE_PORT_NAME,
          path: METRICS_PATH,
          interval: MONITORING_CONFIG.scrape.interval,
          scrapeTimeout: MONITORING_CONFIG.scrape.timeout,
        },
      ],
    },
  };
  new ApiObject(scope, 'service-monitor', serviceMonitor);

  if (sources.ruleGroups.length > 0) {
    const groups: PrometheusRuleGroup[] = sources.ruleGroups.map((group) => ({
      ...group,
      rules: group.rules.map((rule) => ({ ...rule })),
    }));
    const prometheusRule: IPrometheusRule = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: config.appName, labels: { ...config.monitoringLabels } },
      spec: { groups },
    };
    new ApiObject(scope, 'prometheus-rule', prometheusRule);
  }

  for (const dashboard of sources.dashboards) {
    // The same text as dashboards/generated/<file>; the committed YAML shows it by name
    // and checksum only (k8s/layout.ts), so a panel change diffs in one place.
    const text = `${JSON.stringify(dashboard.json, null, 2)}\n`;
    new kplus.ConfigMap(scope, `dashboard-${dashboard.uid}`, {
      metadata: {
        name: `${config.appName}-dashboard-${dnsSafe(dashboard.uid)}`,
        labels: { [GRAFANA_DASHBOARD_LABEL]: '1' },
        annotations: {
          [DASHBOARD_FILE_ANNOTATION]: `${DASHBOARDS_DIR}/${dashboard.file}`,
          [DASHBOARD_SHA_ANNOTATION]: sha256(text),
        },
      },
      data: { [dashboard.file]: text },
    });
  }
}

/** Dashboard uids may hold characters object names may not. */
function dnsSafe(uid: string): string {
  return uid
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
