import { CONFIG_CHECKSUM_ANNOTATION, configChecksum } from '../service-env.ts';
import type { LintRule } from './lint-pod.ts';
import { at, type Manifest, ofKind, podTemplates, selects, stringMap } from './manifest-view.ts';
import { objectRef, type Problem } from './problem.ts';

/** Kubernetes rejects a ConfigMap whose data exceeds 1 MiB. */
const CONFIGMAP_LIMIT_BYTES = 1024 * 1024;
/** Data keys and values that look like credentials. */
const SECRET_KEY =
  /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|CREDENTIAL|DATABASE_URL|REDIS_URL)/i;
const SECRET_VALUE = [
  { pattern: /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i, what: 'a URL with credentials' },
  { pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, what: 'a private key' },
  { pattern: /\beyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/, what: 'a JWT' },
];

function problem(check: string, object: Manifest, message: string, path?: string): Problem {
  return { check, object: objectRef(object), message, ...(path ? { path } : {}) };
}

/** Rules on how objects refer to one another. */
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
    id: 'no-secrets-in-configmaps',
    description: 'ConfigMaps and literal env values hold no credentials',
    check: (objects) => {
      const problems: Problem[] = [];
      for (const configMap of ofKind(objects, 'ConfigMap')) {
        for (const [key, value] of Object.entries(stringMap(at(configMap, 'data')))) {
          if (SECRET_KEY.test(key))
            problems.push(
              problem(
                'no-secrets-in-configmaps',
                configMap,
                `key ${key} looks like a credential; use a Secret`,
                `/data/${key}`,
              ),
            );
          for (const { pattern, what } of SECRET_VALUE) {
            if (pattern.test(value))
              problems.push(
                problem(
                  'no-secrets-in-configmaps',
                  configMap,
                  `value holds ${what}`,
                  `/data/${key}`,
                ),
              );
          }
        }
      }
      for (const pod of podTemplates(objects)) {
        pod.containers.forEach((c, i) => {
          for (const env of c.env ?? []) {
            if (env.value !== undefined && SECRET_KEY.test(env.name)) {
              problems.push({
                check: 'no-secrets-in-configmaps',
                object: pod.ref,
                path: `/spec/template/spec/containers/${i}/env/${env.name}`,
                message: `${env.name} is a literal value; use secretKeyRef`,
              });
            }
          }
        });
      }
      return problems;
    },
  },
  {
    id: 'configmap-size',
    description: 'ConfigMaps stay under the 1 MiB object limit (dashboards are the big ones)',
    check: (objects) =>
      ofKind(objects, 'ConfigMap').flatMap((configMap) => {
        const bytes = Buffer.byteLength(JSON.stringify(at(configMap, 'data') ?? {}));
        return bytes < CONFIGMAP_LIMIT_BYTES
          ? []
          : [
              problem(
                'configmap-size',
                configMap,
                `data is ${bytes} bytes; the limit is ${CONFIGMAP_LIMIT_BYTES}`,
                '/data',
              ),
            ];
      }),
  },
  {
    id: 'config-checksum-current',
    description:
      'the pod checksum annotation matches the ConfigMap it loads, so config changes roll pods',
    check: (objects) =>
      podTemplates(objects).flatMap((pod) => {
        const names = pod.containers.flatMap((c) =>
          (c.envFrom ?? []).flatMap((e) => (e.configMapRef?.name ? [e.configMapRef.name] : [])),
        );
        return names.flatMap((name) => {
          const configMap = ofKind(objects, 'ConfigMap').find(
            (cm) => at(cm, 'metadata', 'name') === name,
          );
          const expected = configMap ? configChecksum(stringMap(at(configMap, 'data'))) : undefined;
          const actual = pod.annotations[CONFIG_CHECKSUM_ANNOTATION];
          return expected !== undefined && actual === expected
            ? []
            : [
                {
                  check: 'config-checksum-current',
                  object: pod.ref,
                  path: '/spec/template/metadata/annotations',
                  message: `${CONFIG_CHECKSUM_ANNOTATION} is ${String(actual)}, ConfigMap/${name} hashes to ${String(expected)}`,
                },
              ];
        });
      }),
  },
];
