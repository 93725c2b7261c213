import type { IContainer } from 'kubernetes-models/v1/Container';
import { type Manifest, type PodTemplateView, podTemplates } from './manifest-view.ts';
import type { Problem } from './problem.ts';

/** A lint rule in the spirit of kube-linter / kube-score defaults. */
export interface LintRule {
  readonly id: string;
  readonly description: string;
  readonly check: (objects: readonly Manifest[]) => Problem[];
}

/** Builds a rule that inspects every container of every pod template. */
function containerRule(
  id: string,
  description: string,
  inspect: (c: IContainer, pod: PodTemplateView) => string | undefined,
): LintRule {
  return {
    id,
    description,
    check: (objects) =>
      podTemplates(objects).flatMap((pod) =>
        pod.containers.flatMap((c, i) => {
          const message = inspect(c, pod);
          const path = `/spec/template/spec/containers/${i}`;
          return message === undefined ? [] : [{ check: id, object: pod.ref, path, message }];
        }),
      ),
  };
}

/** Rules on pods and containers. */
export const POD_RULES: readonly LintRule[] = [
  containerRule('no-latest-tag', 'images carry an explicit tag that is not latest', (c) => {
    const image = c.image ?? '';
    if (image.includes('@sha256:')) return undefined;
    const tag = /:([^:/]+)$/.exec(image)?.[1];
    if (tag === undefined) return `image "${image}" has no tag (means latest)`;
    return tag === 'latest' ? `image "${image}" uses the latest tag` : undefined;
  }),
  // ephemeral-storage as kube-score's container-ephemeral-storage-request-and-limit asks.
  containerRule(
    'resources-set',
    'cpu, memory and ephemeral-storage requests and limits are set',
    (c) => {
      const missing = (['requests', 'limits'] as const).flatMap((kind) =>
        (['cpu', 'memory', 'ephemeral-storage'] as const)
          .filter((r) => c.resources?.[kind]?.[r] === undefined)
          .map((r) => `${kind}.${r}`),
      );
      return missing.length > 0 ? `resources missing: ${missing.join(', ')}` : undefined;
    },
  ),
  containerRule('probes-set', 'startup, readiness and liveness probes are set', (c) => {
    const missing = (['startupProbe', 'readinessProbe', 'livenessProbe'] as const).filter(
      (p) => c[p] === undefined,
    );
    return missing.length > 0 ? `probes missing: ${missing.join(', ')}` : undefined;
  }),
  containerRule('run-as-non-root', 'runAsNonRoot with a non-zero runAsUser', (c, pod) => {
    const nonRoot = c.securityContext?.runAsNonRoot ?? pod.spec.securityContext?.runAsNonRoot;
    const user = c.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser;
    if (nonRoot !== true) return 'runAsNonRoot is not true';
    return user === undefined || user === 0 ? `runAsUser is ${String(user)}` : undefined;
  }),
  containerRule('read-only-root-fs', 'the root filesystem is read-only', (c) =>
    c.securityContext?.readOnlyRootFilesystem === true
      ? undefined
      : 'readOnlyRootFilesystem is not true',
  ),
  containerRule('no-privilege-escalation', 'not privileged, no privilege escalation', (c) => {
    if (c.securityContext?.privileged === true) return 'container is privileged';
    return c.securityContext?.allowPrivilegeEscalation === false
      ? undefined
      : 'allowPrivilegeEscalation is not false';
  }),
  containerRule('drop-all-capabilities', 'capabilities drop ALL and add none', (c) => {
    const caps = c.securityContext?.capabilities;
    if (!(caps?.drop ?? []).includes('ALL')) return 'capabilities.drop does not contain ALL';
    return (caps?.add ?? []).length > 0
      ? `capabilities added: ${caps?.add?.join(', ')}`
      : undefined;
  }),
  containerRule(
    'seccomp-runtime-default',
    'a RuntimeDefault (or Localhost) seccomp profile',
    (c, pod) => {
      const type =
        c.securityContext?.seccompProfile?.type ?? pod.spec.securityContext?.seccompProfile?.type;
      return type === 'RuntimeDefault' || type === 'Localhost'
        ? undefined
        : `seccomp profile is ${String(type)}`;
    },
  ),
  containerRule('graceful-termination', 'preStop sleep shorter than the grace period', (c, pod) => {
    const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
    const command = c.lifecycle?.preStop?.exec?.command ?? [];
    const sleep = command[0] === 'sleep' ? Number(command[1]) : 0;
    if (c.lifecycle?.preStop === undefined)
      return 'no preStop hook: pods get SIGTERM while still in endpoints';
    return sleep >= grace ? `preStop sleeps ${sleep}s of a ${grace}s grace period` : undefined;
  }),
];
