import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { k8s } from 'cdk8s-plus-27';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { objectRef, type Problem } from './problem.ts';

interface ValidatingModel {
  validate(): void;
}
type ModelFactory = (data: Record<string, unknown>) => ValidatingModel;

/**
 * The kinds the chart emits, each with its offline schema (kubernetes-models 4.x for the core
 * API, @kubernetes-models/prometheus-operator for the CRDs). A kind missing here is reported,
 * so a new object type cannot slip through unvalidated.
 */
export const SCHEMA_MODELS: Readonly<Record<string, ModelFactory>> = {
  'v1/ConfigMap': (d) => new ConfigMap(d),
  'v1/Service': (d) => new Service(d),
  'apps/v1/Deployment': (d) => new Deployment(d),
  'policy/v1/PodDisruptionBudget': (d) => new PodDisruptionBudget(d),
  'networking.k8s.io/v1/NetworkPolicy': (d) => new NetworkPolicy(d),
  'monitoring.coreos.com/v1/ServiceMonitor': (d) => new ServiceMonitor(d as never),
  'monitoring.coreos.com/v1/PrometheusRule': (d) => new PrometheusRule(d as never),
};

/** `apiVersion/kind` key of {@link SCHEMA_MODELS}. */
export function typeKey(object: Readonly<Record<string, unknown>>): string {
  return `${String(object.apiVersion)}/${String(object.kind)}`;
}

/**
 * Validates each object against its JSON schema (types, required fields, enums, formats) and
 * checks that each built-in type is one Kubernetes 1.27 serves.
 * Unknown or misspelt fields are not caught here (the schemas allow extra properties);
 * `checkKnownFields` covers those.
 */
export function checkSchemas(objects: ReadonlyArray<Record<string, unknown>>): Problem[] {
  const problems: Problem[] = [];
  const served = served127();
  for (const object of objects) {
    if (!isCrd(object) && !served.has(typeKey(object))) {
      problems.push({
        check: 'schema',
        object: objectRef(object),
        message: `${typeKey(object)} is not served by Kubernetes 1.27`,
      });
    }
    const factory = SCHEMA_MODELS[typeKey(object)];
    if (factory === undefined) {
      problems.push({
        check: 'schema',
        object: objectRef(object),
        message: `no offline schema for ${typeKey(object)}; add it to SCHEMA_MODELS`,
      });
      continue;
    }
    try {
      factory(object).validate();
    } catch (error) {
      for (const detail of validationDetails(error)) {
        problems.push({ check: 'schema', object: objectRef(object), ...detail });
      }
    }
  }
  return problems;
}

const CRD_GROUPS = new Set(['monitoring.coreos.com']);

function isCrd(object: Readonly<Record<string, unknown>>): boolean {
  return CRD_GROUPS.has(String(object.apiVersion).split('/')[0] ?? '');
}

/**
 * `apiVersion/kind` of every built-in type of the Kubernetes 1.27 API, from cdk8s-plus-27's
 * generated 1.27 imports: the kubernetes-models schemas are newer (~1.30), so this is what
 * keeps a type that 1.27 does not serve out of the manifests.
 */
function served127(): ReadonlySet<string> {
  const keys = Object.values(k8s).flatMap((value) => {
    const gvk = (value as { GVK?: { apiVersion?: unknown; kind?: unknown } }).GVK;
    return gvk ? [`${String(gvk.apiVersion)}/${String(gvk.kind)}`] : [];
  });
  return new Set(keys);
}

interface AjvLikeError {
  instancePath?: string;
  message?: string;
  params?: unknown;
}

function validationDetails(error: unknown): Array<{ path?: string; message: string }> {
  const errors = (error as { errors?: AjvLikeError[] } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) {
    return [{ message: error instanceof Error ? error.message : String(error) }];
  }
  return errors.map((e) => ({
    path: e.instancePath || '/',
    message: `${e.message ?? 'invalid'} ${JSON.stringify(e.params ?? {})}`,
  }));
}
