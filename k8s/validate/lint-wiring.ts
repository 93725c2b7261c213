import { MONITORING_CONFIG } from '../../monitoring/config.ts';
import type { LintRule } from './lint-pod.ts';
import { at, type Manifest, ofKind, podTemplates, selects, stringMap } from './manifest-view.ts';
import { objectRef, type Problem } from './problem.ts';

/** A problem on `object` for rule `check`. */
export function problem(check: string, object: Manifest, message: string, path?: string): Problem {
  return { check, object: objectRef(object), message, ...(path ? { path } : {}) };
}

/** Rules on how objects refer to one another: selectors, ports, disruption budgets. */
export const WIRING_RULES: readonly LintRule[] = [
  {
    id: 'pdb-present',
    description: 'every workload with 2+ replicas is covered by a PodDisruptionBudget',
    check: (objects) => {
      const pdbSelectors = ofKind(objects, 'PodDisruptionBudget').map((p) =>
        stringMap(at(p, 'spec', 'selector', 'matchLabels')),
      );
      return podTemplates(objects)
        .filter((pod) => pod.replicas >= 2 && !pdbSelectors.some((s) => selects(s, pod.labels)))
        .map((pod) => ({
          check: 'pdb-present',
          object: pod.ref,
          message: 'no PodDisruptionBudget selects its pods',
        }));
    },
  },
  {
    id: 'selectors-match-pod-labels',
    description: 'workload, Service, PDB and NetworkPolicy selectors match the pod labels',
    check: (objects) => {
      const pods = podTemplates(objects);
      const problems: Problem[] = pods
        .filter((pod) => !selects(pod.selector, pod.labels))
        .map((pod) => ({
          check: 'selectors-match-pod-labels',
          object: pod.ref,
          path: '/spec/selector',
          message: 'selector does not match the pod template labels',
        }));
      const selectorOf: Record<string, string[]> = {
        Service: ['spec', 'selector'],
        PodDisruptionBudget: ['spec', 'selector', 'matchLabels'],
        NetworkPolicy: ['spec', 'podSelector', 'matchLabels'],
      };
      for (const [kind, path] of Object.entries(selectorOf)) {
        for (const object of ofKind(objects, kind)) {
          const selector = stringMap(at(object, ...path));
          if (!pods.some((pod) => selects(selector, pod.labels))) {
            problems.push(
              problem(
                'selectors-match-pod-labels',
                object,
                `selector ${JSON.stringify(selector)} matches no pod template`,
                `/${path.join('/')}`,
              ),
            );
          }
        }
      }
      for (const monitor of ofKind(objects, 'ServiceMonitor')) {
        const selector = stringMap(at(monitor, 'spec', 'selector', 'matchLabels'));
        if (
          !ofKind(objects, 'Service').some((s) =>
            selects(selector, stringMap(at(s, 'metadata', 'labels'))),
          )
        ) {
          problems.push(
            problem(
              'selectors-match-pod-labels',
              monitor,
              'selector matches no Service',
              '/spec/selector',
            ),
          );
        }
      }
      return problems;
    },
  },
  {
    id: 'service-targets-named-port',
    description: 'Service targetPorts (and ServiceMonitor ports) name ports that exist',
    check: (objects) => {
      const pods = podTemplates(objects);
      const problems: Problem[] = [];
      for (const service of ofKind(objects, 'Service')) {
        const selector = stringMap(at(service, 'spec', 'selector'));
        const names = new Set(
          pods
            .filter((p) => selects(selector, p.labels))
            .flatMap((p) => p.containers.flatMap((c) => (c.ports ?? []).map((port) => port.name))),
        );
        const ports = at(service, 'spec', 'ports');
        (Array.isArray(ports) ? ports : []).forEach((port: unknown, i) => {
          const target = at(port, 'targetPort');
          if (typeof target !== 'string')
            problems.push(
              problem(
                'service-targets-named-port',
                service,
                `targetPort ${String(target)} is not a named port`,
                `/spec/ports/${i}`,
              ),
            );
          else if (!names.has(target))
            problems.push(
              problem(
                'service-targets-named-port',
                service,
                `no selected container has a port named "${target}"`,
                `/spec/ports/${i}`,
              ),
            );
        });
      }
      const servicePortNames = new Set(
        ofKind(objects, 'Service').flatMap((s) => {
          const ports = at(s, 'spec', 'ports');
          return (Array.isArray(ports) ? ports : []).map((p: unknown) => at(p, 'name'));
        }),
      );
      for (const monitor of ofKind(objects, 'ServiceMonitor')) {
        const endpoints = at(monitor, 'spec', 'endpoints');
        (Array.isArray(endpoints) ? endpoints : []).forEach((endpoint: unknown, i) => {
          if (!servicePortNames.has(at(endpoint, 'port')))
            problems.push(
              problem(
                'service-targets-named-port',
                monitor,
                `endpoint port ${JSON.stringify(at(endpoint, 'port'))} is no Service port name`,
                `/spec/endpoints/${i}`,
              ),
            );
        });
      }
      return problems;
    },
  },
  {
    id: 'monitor-job-matches-rules',
    description:
      'the ServiceMonitor gives its targets the job the rules and dashboards select (monitoring/config.ts)',
    check: (objects) => {
      const problems: Problem[] = [];
      for (const monitor of ofKind(objects, 'ServiceMonitor')) {
        const selector = stringMap(at(monitor, 'spec', 'selector', 'matchLabels'));
        const jobLabel = at(monitor, 'spec', 'jobLabel');
        for (const service of ofKind(objects, 'Service')) {
          const labels = stringMap(at(service, 'metadata', 'labels'));
          if (!selects(selector, labels)) continue;
          // The prometheus-operator's job: the Service's `jobLabel` label when it has one,
          // else the Service's name.
          const name = String(at(service, 'metadata', 'name'));
          const fromLabel = typeof jobLabel === 'string' ? labels[jobLabel] : undefined;
          const job = fromLabel || name;
          if (job !== MONITORING_CONFIG.job)
            problems.push(
              problem(
                'monitor-job-matches-rules',
                monitor,
                `targets of Service ${name} get job="${job}" (${fromLabel ? `its label ${String(jobLabel)}` : 'its name'}), but the rules and dashboards select job="${MONITORING_CONFIG.job}"`,
                fromLabel ? '/spec/jobLabel' : '/spec/selector',
              ),
            );
        }
      }
      return problems;
    },
  },
];
