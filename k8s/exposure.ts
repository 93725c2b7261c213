import { k8s } from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import type { StagingConfig } from './config.ts';
import { SERVICE_PORT, SERVICE_PORT_NAME } from './service-env.ts';

/**
 * Service, PodDisruptionBudget and NetworkPolicy. Written with the typed L1 classes because
 * cdk8s-plus-27 has no PDB and its Service takes only a numeric targetPort; we target the
 * named container port so a port renumbering cannot silently break routing.
 */
export function addExposure(
  scope: Construct,
  config: StagingConfig,
  selectorLabels: Readonly<Record<string, string>>,
): void {
  new k8s.KubeService(scope, 'service', {
    metadata: { name: config.appName, labels: { ...selectorLabels } },
    spec: {
      type: 'ClusterIP',
      selector: { ...selectorLabels },
      ports: [
        {
          name: SERVICE_PORT_NAME,
          port: SERVICE_PORT,
          targetPort: k8s.IntOrString.fromString(SERVICE_PORT_NAME),
          protocol: 'TCP',
        },
      ],
    },
  });

  // One pod at a time may be evicted: with 2+ replicas a drain never takes the service down.
  new k8s.KubePodDisruptionBudget(scope, 'pdb', {
    metadata: { name: config.appName },
    spec: {
      maxUnavailable: k8s.IntOrString.fromNumber(1),
      selector: { matchLabels: { ...selectorLabels } },
    },
  });

  // Ingress only on the service port; /metrics/prom is served on the same port, so the
  // Prometheus scrape needs no second rule. Egress stays open (DNS, Redis, the database).
  new k8s.KubeNetworkPolicy(scope, 'network-policy', {
    metadata: { name: config.appName },
    spec: {
      podSelector: { matchLabels: { ...selectorLabels } },
      policyTypes: ['Ingress'],
      ingress: [
        { ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromString(SERVICE_PORT_NAME) }] },
      ],
    },
  });
}
