import { App, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { parseAllDocuments } from 'yaml';
import { parseStagingConfig, type StagingConfig, type StagingConfigInput } from './config.ts';
import { addExposure } from './exposure.ts';
import { addMonitoring, type MonitoringSources } from './monitoring.ts';
import { addWorkload } from './workload.ts';

/** Props of {@link StagingChart}. */
export interface StagingChartProps extends ChartProps {
  /** Validated synthesis config (see `parseStagingConfig`). */
  readonly config: StagingConfig;
  /** Alert rule groups and dashboards for the monitoring objects. */
  readonly monitoring: MonitoringSources;
}

/**
 * The staging manifests of metasheet-cache: workload, Service, PDB, NetworkPolicy and the
 * prometheus-operator / Grafana monitoring objects, all in `config.namespace`.
 */
export class StagingChart extends Chart {
  /** Labels the Deployment selects its pods by; the Service, PDB, policy and monitor reuse them. */
  readonly selectorLabels: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: StagingChartProps) {
    const { config, monitoring, ...chartProps } = props;
    super(scope, id, {
      ...chartProps,
      namespace: config.namespace,
      disableResourceNameHashes: true,
      labels: {
        'app.kubernetes.io/part-of': 'metasheet',
        'app.kubernetes.io/managed-by': 'cdk8s',
        'app.kubernetes.io/version': config.image.tag,
        ...chartProps.labels,
      },
    });
    this.selectorLabels = { 'app.kubernetes.io/name': config.appName };
    addWorkload(this, config, this.selectorLabels);
    addExposure(this, config, this.selectorLabels);
    addMonitoring(this, config, this.selectorLabels, monitoring);
  }
}

/** The synthesised staging manifests: one YAML stream and the same objects parsed. */
export interface StagingManifests {
  readonly config: StagingConfig;
  readonly yaml: string;
  readonly objects: ReadonlyArray<Record<string, unknown>>;
}

/**
 * Validates `input`, builds the staging app in memory (no files written) and returns its YAML.
 * @throws StagingConfigError when the config is invalid.
 */
export function synthStaging(
  input: StagingConfigInput,
  monitoring: MonitoringSources,
): StagingManifests {
  const config = parseStagingConfig(input);
  const app = new App();
  new StagingChart(app, 'staging', { config, monitoring });
  const yaml = app.synthYaml();
  return { config, yaml, objects: parseManifests(yaml) };
}

/** Parses a multi-document YAML stream into plain objects (empty documents skipped). */
export function parseManifests(yaml: string): Array<Record<string, unknown>> {
  return parseAllDocuments(yaml)
    .map((doc) => doc.toJSON() as unknown)
    .filter((doc): doc is Record<string, unknown> => doc !== null && typeof doc === 'object');
}
