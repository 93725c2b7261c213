import { describe, expect, it } from 'vitest';
import { mutate } from '../../test/helpers/k8s/mutate.ts';
import { synthFromEnv } from '../staging.ts';
import { LINT_RULES } from './index.ts';
import type { Manifest } from './manifest-view.ts';
import { formatProblems } from './problem.ts';

const { objects } = synthFromEnv({});
const C = '/spec/template/spec/containers/0';

/** For each rule, manifests that break it and the message it must give. */
const BREAKS: Record<string, ReadonlyArray<[string, Manifest[], string]>> = {
  'no-latest-tag': [
    [
      'latest tag',
      mutate(objects, 'Deployment', `${C}/image`, 'metasheet-cache:latest'),
      'uses the latest tag',
    ],
    [
      'no tag',
      mutate(objects, 'Deployment', `${C}/image`, 'registry:5000/metasheet-cache'),
      'has no tag',
    ],
  ],
  'resources-set': [
    [
      'no ephemeral-storage limit',
      mutate(objects, 'Deployment', `${C}/resources/limits/ephemeral-storage`, undefined),
      'limits.ephemeral-storage',
    ],
    [
      'no memory limit',
      mutate(objects, 'Deployment', `${C}/resources/limits/memory`, undefined),
      'limits.memory',
    ],
    [
      'no requests',
      mutate(objects, 'Deployment', `${C}/resources/requests`, undefined),
      'requests.cpu, requests.memory, requests.ephemeral-storage',
    ],
  ],
  'probes-set': [
    [
      'no readiness',
      mutate(objects, 'Deployment', `${C}/readinessProbe`, undefined),
      'readinessProbe',
    ],
    [
      'no liveness',
      mutate(objects, 'Deployment', `${C}/livenessProbe`, undefined),
      'livenessProbe',
    ],
  ],
  'run-as-non-root': [
    [
      'container runAsNonRoot false',
      mutate(objects, 'Deployment', `${C}/securityContext/runAsNonRoot`, false),
      'runAsNonRoot is not true',
    ],
    ['uid 0', mutate(objects, 'Deployment', `${C}/securityContext/runAsUser`, 0), 'runAsUser is 0'],
  ],
  'read-only-root-fs': [
    [
      'writable root',
      mutate(objects, 'Deployment', `${C}/securityContext/readOnlyRootFilesystem`, false),
      'readOnlyRootFilesystem',
    ],
  ],
  'no-privilege-escalation': [
    [
      'escalation allowed',
      mutate(objects, 'Deployment', `${C}/securityContext/allowPrivilegeEscalation`, true),
      'allowPrivilegeEscalation is not false',
    ],
    [
      'privileged',
      mutate(objects, 'Deployment', `${C}/securityContext/privileged`, true),
      'container is privileged',
    ],
  ],
  'drop-all-capabilities': [
    [
      'no drop',
      mutate(objects, 'Deployment', `${C}/securityContext/capabilities`, { drop: ['NET_RAW'] }),
      'does not contain ALL',
    ],
    [
      'add',
      mutate(objects, 'Deployment', `${C}/securityContext/capabilities`, {
        drop: ['ALL'],
        add: ['NET_ADMIN'],
      }),
      'capabilities added: NET_ADMIN',
    ],
  ],
  'seccomp-runtime-default': [
    [
      'unconfined',
      mutate(objects, 'Deployment', '/spec/template/spec/securityContext/seccompProfile', {
        type: 'Unconfined',
      }),
      'seccomp profile is Unconfined',
    ],
  ],
  'graceful-termination': [
    ['no preStop', mutate(objects, 'Deployment', `${C}/lifecycle`, undefined), 'no preStop hook'],
    [
      'sleep eats the grace period',
      mutate(objects, 'Deployment', '/spec/template/spec/terminationGracePeriodSeconds', 5),
      'preStop sleeps 5s of a 5s grace period',
    ],
  ],
  'pdb-present': [
    [
      'no PDB',
      objects.filter((o) => o.kind !== 'PodDisruptionBudget'),
      'no PodDisruptionBudget selects its pods',
    ],
    [
      'PDB selects other pods',
      mutate(objects, 'PodDisruptionBudget', '/spec/selector/matchLabels', { app: 'other' }),
      'no PodDisruptionBudget',
    ],
  ],
  'selectors-match-pod-labels': [
    [
      'deployment selector',
      mutate(objects, 'Deployment', '/spec/selector/matchLabels', { app: 'x' }),
      'selector does not match the pod template labels',
    ],
    [
      'service selector',
      mutate(objects, 'Service', '/spec/selector', { 'app.kubernetes.io/name': 'metasheet' }),
      'Service/metasheet-cache /spec/selector: selector {"app.kubernetes.io/name":"metasheet"} matches no pod template',
    ],
    [
      'network policy',
      mutate(objects, 'NetworkPolicy', '/spec/podSelector/matchLabels', {}),
      'NetworkPolicy/metasheet-cache',
    ],
    [
      'service monitor',
      mutate(objects, 'ServiceMonitor', '/spec/selector/matchLabels', { a: 'b' }),
      'selector matches no Service',
    ],
  ],
  'service-targets-named-port': [
    [
      'numeric targetPort',
      mutate(objects, 'Service', '/spec/ports/0/targetPort', 8900),
      'targetPort 8900 is not a named port',
    ],
    [
      'unknown name',
      mutate(objects, 'Service', '/spec/ports/0/targetPort', 'metrics'),
      'no selected container has a port named "metrics"',
    ],
    [
      'monitor port',
      mutate(objects, 'ServiceMonitor', '/spec/endpoints/0/port', 'web'),
      'endpoint port "web" is no Service port name',
    ],
  ],
  'monitor-job-matches-rules': [
    [
      'Service renamed',
      mutate(objects, 'Service', '/metadata/name', 'metasheet'),
      'targets of Service metasheet get job="metasheet" (its name), but the rules and dashboards select job="metasheet-cache"',
    ],
    [
      'job from another label',
      mutate(objects, 'ServiceMonitor', '/spec/jobLabel', 'app.kubernetes.io/part-of'),
      'get job="metasheet" (its label app.kubernetes.io/part-of)',
    ],
  ],
  'no-secrets-in-configmaps': [
    [
      'secret key',
      mutate(objects, 'ConfigMap', '/data/JWT_SECRET', 'x'),
      'key JWT_SECRET looks like a credential',
    ],
    [
      'credentials in a URL',
      mutate(objects, 'ConfigMap', '/data/CACHE_UPSTREAM', 'redis://user:hunter2@redis:6379'),
      'value holds a URL with credentials',
    ],
    [
      'literal env',
      mutate(objects, 'Deployment', `${C}/env/0`, { name: 'DATABASE_URL', value: 'postgres://x' }),
      'DATABASE_URL is a literal value',
    ],
  ],
  'configmap-size': [
    [
      'a 1 MiB dashboard',
      mutate(objects, 'ConfigMap', '/data/huge.json', 'x'.repeat(1024 * 1024)),
      'the limit is 1048576',
    ],
  ],
  'config-checksum-current': [
    [
      'stale checksum',
      mutate(objects, 'ConfigMap', '/data/FEATURE_CACHE', 'true'),
      'metasheet.io/config-checksum is',
    ],
  ],
};

describe('lint rules', () => {
  it('every rule has breaking cases', () => {
    expect(Object.keys(BREAKS).sort()).toEqual(LINT_RULES.map((r) => r.id).sort());
  });

  describe.each(LINT_RULES.map((rule) => [rule.id, rule] as const))('%s', (_id, rule) => {
    it('passes the staging manifests', () => {
      const problems = rule.check(objects);
      expect(problems, formatProblems(problems)).toEqual([]);
    });

    it.each(BREAKS[rule.id] ?? [])('fails on %s', (_case, broken, message) => {
      const problems = rule.check(broken);
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.every((p) => p.check === rule.id)).toBe(true);
      expect(formatProblems(problems)).toContain(message);
    });
  });
});
