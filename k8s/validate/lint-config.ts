import { CONFIG_CHECKSUM_ANNOTATION, configChecksum } from '../service-env.ts';
import type { LintRule } from './lint-pod.ts';
import { problem } from './lint-wiring.ts';
import { at, ofKind, podTemplates, stringMap } from './manifest-view.ts';
import type { Problem } from './problem.ts';

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

/** Rules on configuration: no credentials outside Secrets, sizes, and the rolling checksum. */
export const CONFIG_RULES: readonly LintRule[] = [
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
