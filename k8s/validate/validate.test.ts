import { describe, expect, it } from 'vitest';
import { mutate } from '../../test/helpers/k8s/mutate.ts';
import { synthFromEnv } from '../staging.ts';
import { checkKnownFields } from './fields.ts';
import { formatProblems, validateManifests } from './index.ts';
import { checkSchemas, SCHEMA_MODELS, typeKey } from './schemas.ts';

const { objects } = synthFromEnv({});
const flagged = synthFromEnv({}, { featureCache: true }).objects;

describe('offline validation of the staging manifests', () => {
  it('has a schema for every kind the chart emits', () => {
    const kinds = new Set(objects.map(typeKey));
    expect([...kinds].filter((k) => SCHEMA_MODELS[k] === undefined)).toEqual([]);
    expect(kinds.size).toBeGreaterThanOrEqual(7);
  });

  it.each([
    ['FEATURE_CACHE=false', objects],
    ['FEATURE_CACHE=true', flagged],
  ])('%s passes schemas, known fields and every lint rule', (_name, list) => {
    const problems = validateManifests(list);
    expect(problems, formatProblems(problems)).toEqual([]);
  });
});

describe('checkSchemas', () => {
  it.each([
    ['Deployment', '/spec/replicas', 'two', '/spec/replicas: must be integer'],
    ['Deployment', '/spec/selector', undefined, "must have required property 'selector'"],
    ['Service', '/spec/type', 'Public', '/spec/type: must be equal to one of the allowed values'],
    ['ServiceMonitor', '/spec/endpoints', 'http', '/spec/endpoints: must be array'],
    ['PrometheusRule', '/spec/groups/0/name', 7, '/spec/groups/0/name: must be string'],
  ])('%s %s = %j is rejected', (kind, pointer, value, message) => {
    const text = formatProblems(checkSchemas(mutate(objects, kind, pointer, value)));
    expect(text).toContain(message.replace(/'/g, ''));
  });

  it('rejects a type Kubernetes 1.27 does not serve', () => {
    const old = mutate(objects, 'PodDisruptionBudget', '/apiVersion', 'policy/v1beta1');
    const text = formatProblems(checkSchemas(old));
    expect(text).toContain('policy/v1beta1/PodDisruptionBudget is not served by Kubernetes 1.27');
  });

  it('reports a kind it has no schema for instead of passing it', () => {
    const text = formatProblems(
      checkSchemas([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }]),
    );
    expect(text).toContain('[schema] Pod/p: no offline schema for v1/Pod');
  });
});

describe('checkKnownFields', () => {
  it('passes the real manifests', () => {
    expect(formatProblems(checkKnownFields(objects))).toBe('');
  });

  const cases = [
    [
      'Deployment',
      '/spec/template/spec/containers/0/readinesProbe',
      { httpGet: { port: 1 } },
      "readinesProbe' (did you mean 'readinessProbe'?)",
    ],
    [
      'Deployment',
      '/spec/template/spec/securityContext/runAsNonroot',
      true,
      "unknown field 'runAsNonroot'",
    ],
    ['Service', '/spec/ports/0/targetport', 'http', "unknown field 'targetport'"],
    ['ServiceMonitor', '/spec/endpoints/0/pth', '/metrics', "unknown field 'pth'"],
    ['PrometheusRule', '/spec/groups/0/rules/0/keep_firing', '5m', "unknown field 'keep_firing'"],
    ['ConfigMap', '/date', { a: 'b' }, "unknown field 'date'"],
    // Newer than 1.27 (kubernetes-models' ~1.30 types accept them; cdk8s-plus-27's 1.27 API does not)
    [
      'Service',
      '/spec/trafficDistribution',
      'PreferClose',
      "unknown field 'trafficDistribution' in Kubernetes 1.27",
    ],
    [
      'Deployment',
      '/spec/template/spec/containers/0/restartPolicy',
      'Always',
      "unknown field 'restartPolicy' in Kubernetes 1.27",
    ],
  ] as const;
  // One compiler run for all cases (each check costs ~1 s): every broken object gets its own name.
  const broken = cases.map(([kind, pointer, value], i) => {
    const copy = mutate(objects, kind, pointer, value).find((o) => o.kind === kind) ?? {};
    return { ...copy, metadata: { name: `case-${i}` } };
  });
  const problems = checkKnownFields(broken);

  it.each(cases.map((c, i) => [...c, i] as const))(
    '%s %s is reported as unknown, with its path',
    (kind, pointer, _value, message, i) => {
      const mine = problems.filter((p) => p.object === `${kind}/case-${i}`);
      expect(formatProblems(mine)).toContain(message);
      expect(mine.map((p) => p.path)).toContain(pointer);
    },
  );
});
