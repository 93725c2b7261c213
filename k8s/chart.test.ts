import { createHash } from 'node:crypto';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { buildRuleGroups } from '../alerts/rules.ts';
import { buildAllDashboards } from '../dashboards/index.ts';
import {
  CONFIG_VARIABLES,
  loadConfig,
  parseConfigFile,
  RUNTIME_VARIABLES,
} from '../service/config.ts';
import { synthStaging } from './chart.ts';
import type { MonitoringSources } from './monitoring.ts';
import {
  heapSizeMiB,
  NON_HEAP_RESERVE_MIB,
  POD_RESOURCES,
  SECRET_ENV_KEYS,
  SHUTDOWN_TIMEOUT_MS,
} from './service-env.ts';
import { synthFromEnv } from './staging.ts';

const fixture: MonitoringSources = {
  ruleGroups: [{ name: 'g', rules: [{ alert: 'CacheDown', expr: 'up == 0', for: '5m' }] }],
  dashboards: [{ uid: 'Cache_Overview', file: 'cache-overview.json', json: { title: 'T' } }],
};
const { objects } = synthStaging({ image: { tag: '9.9.9' }, cacheImpl: 'redis' }, fixture);

function one<T>(kind: string, list: ReadonlyArray<Record<string, unknown>> = objects): T {
  const found = list.filter((o) => o.kind === kind);
  expect(found, `exactly one ${kind}`).toHaveLength(1);
  return found[0] as unknown as T;
}
const deployment = one<IDeployment>('Deployment');
const pod = deployment.spec?.template.spec;
const container = pod?.containers[0];

describe('StagingChart workload', () => {
  it('puts every object in the configured namespace', () => {
    const ns = objects.map((o) => (o.metadata as { namespace?: string }).namespace);
    expect(new Set(ns)).toEqual(new Set(['metasheet-staging']));
  });

  it('runs the configured image and tag with 2 replicas', () => {
    expect(container?.image).toBe('metasheet-cache:9.9.9');
    expect(container?.imagePullPolicy).toBe('IfNotPresent');
    expect(deployment.spec?.replicas).toBe(2);
  });

  it("prefers one replica per node (soft anti-affinity on the hostname, on the app's own label)", () => {
    const [term, ...more] =
      pod?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    expect(more).toEqual([]);
    expect(term?.weight).toBe(100);
    expect(term?.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    // The Deployment's own selector label, never cdk8s' internal construct address.
    expect(term?.podAffinityTerm.labelSelector?.matchLabels).toEqual(
      deployment.spec?.selector.matchLabels,
    );
    expect(deployment.spec?.template.metadata?.labels).toEqual({
      'app.kubernetes.io/name': 'metasheet-cache',
    });
    expect(JSON.stringify(deployment)).not.toContain('cdk8s.io/');
  });

  it('sets cpu, memory and ephemeral-storage requests and limits, and sizes the V8 heap from the memory limit', () => {
    expect(container?.resources).toEqual({
      requests: {
        cpu: '100m',
        memory: `${POD_RESOURCES.memoryRequestMiB}Mi`,
        'ephemeral-storage': '64Mi',
      },
      limits: { cpu: '500m', memory: '256Mi', 'ephemeral-storage': '128Mi' },
    });
    const nodeOptions = (c: typeof container) =>
      c?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
    expect(nodeOptions(container)).toBe(`--max-old-space-size=${256 - NON_HEAP_RESERVE_MIB}`);
    const big = synthStaging({ image: { tag: '9.9.9' }, memoryLimitMiB: 1024 }, fixture).objects;
    const bigContainer = one<IDeployment>('Deployment', big).spec?.template.spec?.containers[0];
    expect(bigContainer?.resources?.limits?.memory).toBe('1024Mi');
    expect(nodeOptions(bigContainer)).toBe(`--max-old-space-size=${1024 - NON_HEAP_RESERVE_MIB}`);
    expect(heapSizeMiB(192)).toBe(96);
  });

  it('pulls from a configurable registry', () => {
    const pulled = synthStaging(
      { image: { registry: 'registry.example.com:5000/team', tag: '9.9.9' } },
      fixture,
    ).objects;
    expect(one<IDeployment>('Deployment', pulled).spec?.template.spec?.containers[0]?.image).toBe(
      'registry.example.com:5000/team/metasheet-cache:9.9.9',
    );
  });

  it('probes /health on the service port for startup, readiness and liveness', () => {
    for (const probe of [
      container?.startupProbe,
      container?.readinessProbe,
      container?.livenessProbe,
    ]) {
      expect(probe?.httpGet).toMatchObject({ path: '/health', port: 8900 });
    }
    expect(container?.readinessProbe?.periodSeconds).toBe(5);
  });

  it('sets a restrictive security context: uid 10001, read-only, caps dropped, seccomp', () => {
    expect(container?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 10001,
      runAsNonRoot: true,
      runAsUser: 10001,
    });
    expect(pod?.securityContext?.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(container?.volumeMounts).toEqual([
      { mountPath: '/etc/metasheet-cache', name: 'runtime-config', readOnly: true },
      { mountPath: '/tmp', name: 'tmp' },
    ]);
  });

  it('terminates gracefully: preStop sleep, then the service drains within the grace period', () => {
    expect(pod?.terminationGracePeriodSeconds).toBe(30);
    expect(container?.lifecycle?.preStop?.exec?.command).toEqual(['sleep', '5']);
    expect(SHUTDOWN_TIMEOUT_MS).toBeLessThan((30 - 5) * 1000);
  });

  it('requires only Secret keys the service reads', () => {
    for (const key of SECRET_ENV_KEYS) expect(CONFIG_VARIABLES).toContain(key);
    expect(SECRET_ENV_KEYS).not.toContain('DATABASE_URL');
    expect(SECRET_ENV_KEYS).not.toContain('JWT_SECRET');
  });

  it('reads credentials only through secretKeyRef on the existing Secret', () => {
    const all = container?.env ?? [];
    // Literal values are settings, never credentials (NODE_OPTIONS and the like).
    for (const e of all.filter((x) => x.value !== undefined))
      expect(e.name).not.toMatch(/SECRET|PASSWORD|TOKEN|_URL$/);
    const env = all.filter((e) => e.value === undefined);
    expect(env.map((e) => e.name)).toEqual([...SECRET_ENV_KEYS]);
    for (const e of env) {
      expect(e.value).toBeUndefined();
      expect(e.valueFrom?.secretKeyRef).toMatchObject({
        name: 'metasheet-cache-secrets',
        key: e.name,
      });
    }
    // cacheImpl=redis here, so REDIS_URL is required
    expect(env.find((e) => e.name === 'REDIS_URL')?.valueFrom?.secretKeyRef?.optional).toBe(false);
  });

  it('carries a ConfigMap the real service config accepts', () => {
    const named = (name: string) =>
      one<IConfigMap>(
        'ConfigMap',
        objects.filter((o) => (o.metadata as { name?: string } | undefined)?.name === name),
      ).data ?? {};
    const data = named('metasheet-cache');
    for (const key of Object.keys(data)) expect(CONFIG_VARIABLES).toContain(key);
    // The runtime file, parsed and validated by the service's own code; only reloadable keys.
    const file = parseConfigFile(named('metasheet-cache-runtime')['cache.env'] ?? '');
    expect(Object.keys(file).sort()).toEqual(RUNTIME_VARIABLES.filter((v) => v in file).sort());
    expect(data.CACHE_CONFIG_FILE).toBe('/etc/metasheet-cache/cache.env');
    const volume = deployment.spec?.template.spec?.volumes?.find(
      (v) => v.name === 'runtime-config',
    );
    expect(volume?.configMap?.name).toBe('metasheet-cache-runtime');
    const loaded = loadConfig({ ...data, REDIS_URL: 'redis://redis.metasheet:6379' }, file);
    expect(loaded).toMatchObject({
      PORT: 8900,
      NODE_ENV: 'production',
      FEATURE_CACHE: false,
      CACHE_IMPL: 'redis',
    });
    expect(container?.envFrom).toEqual([{ configMapRef: { name: 'metasheet-cache' } }]);
  });
});

describe('StagingChart exposure', () => {
  it('Service targets the named container port', () => {
    const service = one<IService>('Service');
    expect(service.spec?.ports).toEqual([
      { name: 'http', port: 8900, protocol: 'TCP', targetPort: 'http' },
    ]);
    expect(container?.ports).toEqual([{ containerPort: 8900, name: 'http' }]);
    expect(service.spec?.selector).toEqual(deployment.spec?.selector.matchLabels);
  });

  it('PDB allows one disruption at a time and NetworkPolicy admits only the service port', () => {
    const pdb = one<IPodDisruptionBudget>('PodDisruptionBudget');
    expect(pdb.spec?.maxUnavailable).toBe(1);
    expect(pdb.spec?.selector).toEqual(deployment.spec?.selector);
    const policy = one<INetworkPolicy>('NetworkPolicy');
    expect(policy.spec?.policyTypes).toEqual(['Ingress']);
    expect(policy.spec?.ingress).toEqual([{ ports: [{ port: 'http', protocol: 'TCP' }] }]);
  });
});

describe('StagingChart monitoring', () => {
  it('ServiceMonitor scrapes /metrics/prom on the named port, labelled for the operator', () => {
    const monitor = one<IServiceMonitor>('ServiceMonitor');
    expect(monitor.spec.endpoints).toEqual([
      { port: 'http', path: '/metrics/prom', interval: '30s', scrapeTimeout: '10s' },
    ]);
    expect(monitor.metadata?.labels?.release).toBe('kube-prometheus-stack');
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: ['metasheet-staging'] });
  });

  it('dashboard ConfigMaps carry the Grafana sidecar label and the JSON', () => {
    const dashboards = objects.filter((o) =>
      JSON.stringify(o.metadata).includes('grafana_dashboard'),
    );
    expect(dashboards).toHaveLength(1);
    const cm = dashboards[0] as unknown as IConfigMap;
    expect(cm.metadata?.name).toBe('metasheet-cache-dashboard-cache-overview');
    expect(cm.metadata?.labels?.grafana_dashboard).toBe('1');
    const text = cm.data?.['cache-overview.json'] ?? 'null';
    expect(JSON.parse(text)).toEqual({ title: 'T' });
    expect(cm.metadata?.annotations).toEqual({
      'metasheet.io/dashboard-file': 'dashboards/generated/cache-overview.json',
      'metasheet.io/dashboard-sha256': createHash('sha256').update(text).digest('hex'),
    });
  });

  it('with the repo sources: PrometheusRule = alerts/ rule groups, one ConfigMap per dashboard', () => {
    const real = synthFromEnv({}).objects;
    const rule = one<IPrometheusRule>('PrometheusRule', real);
    expect(rule.spec.groups).toEqual(JSON.parse(JSON.stringify(buildRuleGroups())));
    const dashboards = buildAllDashboards();
    const maps = real.filter((o) =>
      JSON.stringify(o.metadata).includes('grafana_dashboard'),
    ) as unknown as IConfigMap[];
    expect(maps.map((m) => Object.keys(m.data ?? {}))).toEqual(dashboards.map((d) => [d.file]));
    for (const [i, d] of dashboards.entries()) {
      expect(JSON.parse(maps[i]?.data?.[d.file] ?? 'null')).toEqual(d.json);
    }
  });
});
