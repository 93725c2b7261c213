import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { objectRef } from './problem.ts';

/** A plain manifest object, as parsed from YAML. */
export type Manifest = Readonly<Record<string, unknown>>;
type Labels = Readonly<Record<string, string>>;

/** A workload's pod template, seen by the lint rules. */
export interface PodTemplateView {
  readonly ref: string;
  readonly kind: string;
  readonly replicas: number;
  readonly selector: Labels;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly spec: IPodSpec;
  readonly containers: readonly IContainer[];
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** Pod templates of every workload object (Deployment, StatefulSet, DaemonSet). */
export function podTemplates(objects: readonly Manifest[]): PodTemplateView[] {
  return objects
    .filter((o) => typeof o.kind === 'string' && WORKLOAD_KINDS.has(o.kind))
    .map((o) => {
      const spec = record(o.spec);
      const template = record(spec.template);
      const metadata = record(template.metadata);
      const podSpec = record(template.spec) as unknown as IPodSpec;
      return {
        ref: objectRef(o),
        kind: String(o.kind),
        replicas: typeof spec.replicas === 'number' ? spec.replicas : 1,
        selector: stringMap(record(spec.selector).matchLabels),
        labels: stringMap(metadata.labels),
        annotations: stringMap(metadata.annotations),
        spec: podSpec,
        containers: Array.isArray(podSpec.containers) ? podSpec.containers : [],
      };
    });
}

/** Objects of one kind. */
export function ofKind(objects: readonly Manifest[], kind: string): Manifest[] {
  return objects.filter((o) => o.kind === kind);
}

/** `value` as an object, or `{}` when it is not one (malformed input is linted, not thrown). */
export function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** String-valued entries of `value` (labels, annotations, ConfigMap data). */
export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(value))) if (typeof v === 'string') out[k] = v;
  return out;
}

/** True when every selector label is present with the same value (an empty selector matches nothing here). */
export function selects(selector: Labels, labels: Labels): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** Value at a path of keys, or undefined. */
export function at(value: unknown, ...path: string[]): unknown {
  let current: unknown = value;
  for (const key of path) current = record(current)[key];
  return current;
}
