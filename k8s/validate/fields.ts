import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { k8s } from 'cdk8s-plus-27';
import { objectRef, type Problem } from './problem.ts';
import { typeKey } from './schemas.ts';
import { EXCESS_PROPERTY_CODES, typecheckSource } from './typecheck.ts';

/** TypeScript interface (module, export) describing each kind's JSON, from the same packages as the schemas. */
const TYPED_MODELS: Readonly<Record<string, { module: string; type: string }>> = {
  'v1/ConfigMap': { module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1/Service': { module: 'kubernetes-models/v1/Service', type: 'IService' },
  'apps/v1/Deployment': { module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'policy/v1/PodDisruptionBudget': {
    module: 'kubernetes-models/policy/v1/PodDisruptionBudget',
    type: 'IPodDisruptionBudget',
  },
  'networking.k8s.io/v1/NetworkPolicy': {
    module: 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
    type: 'INetworkPolicy',
  },
  'monitoring.coreos.com/v1/ServiceMonitor': {
    module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
    type: 'IServiceMonitor',
  },
  'monitoring.coreos.com/v1/PrometheusRule': {
    module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
    type: 'IPrometheusRule',
  },
};

/** `apiVersion/kind` → name of the cdk8s-plus-27 (Kubernetes 1.27) L1 class, e.g. `KubeDeployment`. */
function kube127Classes(): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of Object.entries(k8s)) {
    const gvk = (value as { GVK?: { apiVersion?: unknown; kind?: unknown } }).GVK;
    if (gvk) map.set(`${String(gvk.apiVersion)}/${String(gvk.kind)}`, name);
  }
  return map;
}

/**
 * JSON field name → 1.27 props name where cdk8s renamed it (`clusterIP` → `clusterIp`, 29 of
 * them), read from the generated `toJson_*` functions (`'clusterIP': obj.clusterIp`).
 */
function renamed127Fields(): ReadonlyMap<string, string> {
  const lib = dirname(createRequire(import.meta.url).resolve('cdk8s-plus-27'));
  const source = readFileSync(join(lib, 'imports', 'k8s.js'), 'utf8');
  const renames = new Map<string, string>();
  for (const [, json, prop] of source.matchAll(/'([^']+)': obj\.(\w+)/g)) {
    if (json !== undefined && prop !== undefined && json !== prop) renames.set(json, prop);
  }
  return renames;
}

/** A deep copy of `value` with object keys renamed by `renames`. */
function renameKeys(value: unknown, renames: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => renameKeys(item, renames));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [renames.get(k) ?? k, renameKeys(v, renames)]),
  );
}

/**
 * The 1.27 props types model IntOrString and Quantity as classes; JSON holds strings or
 * numbers there. Loosening those keeps the excess-property check from being masked by them.
 */
const PRELUDE = [
  "import type { k8s } from 'cdk8s-plus-27';",
  'type Loose<T> = T extends k8s.IntOrString | k8s.Quantity ? string | number',
  '  : T extends ReadonlyArray<infer U> ? Array<Loose<U>>',
  '  : T extends object ? { [K in keyof T]: Loose<T[K]> } : T;',
];

/**
 * Catches unknown and misspelt fields, which the JSON schemas let through: each object is
 * written out as a TypeScript object literal typed with its model interface, and the
 * compiler's excess-property check flags keys the API does not define, at any depth (the
 * first one per object literal). Built-in kinds are checked twice: against the
 * kubernetes-models interface (JSON types) and against cdk8s-plus-27's Kubernetes 1.27 API
 * (so a field added after 1.27 is reported too).
 */
export function checkKnownFields(objects: ReadonlyArray<Record<string, unknown>>): Problem[] {
  const problems: Problem[] = [];
  const lines: string[] = [...PRELUDE];
  const lineInfo: Array<{ object: string; path: string; only127: boolean } | undefined> =
    PRELUDE.map(() => undefined);
  const emit = (text: string, info: { object: string; path: string; only127: boolean }) => {
    lines.push(text);
    lineInfo.push(info);
  };
  const classes = kube127Classes();
  const renames = renamed127Fields();
  objects.forEach((object, index) => {
    const key = typeKey(object);
    const model = TYPED_MODELS[key];
    const ref = objectRef(object);
    if (model === undefined) {
      problems.push({ check: 'fields', object: ref, message: `no typed model for ${key}` });
      return;
    }
    emit(`import type { ${model.type} as T${index} } from '${model.module}';`, {
      object: ref,
      path: '',
      only127: false,
    });
    literal(object, `export const o${index}: T${index} = `, ';', '', (text, path) =>
      emit(text, { object: ref, path, only127: false }),
    );
    const kube = classes.get(key);
    if (kube !== undefined) {
      const { apiVersion: _v, kind: _k, ...props } = object;
      literal(
        renameKeys(props, renames),
        `export const p${index}: Loose<k8s.${kube}Props> = `,
        ';',
        '',
        (text, path) => emit(text, { object: ref, path, only127: true }),
      );
    }
  });

  const seen = new Set<string>();
  for (const diagnostic of typecheckSource(lines.join('\n'))) {
    const info = lineInfo[diagnostic.line];
    // The 1.27 pass is for unknown fields only; JSON types are the other pass's job.
    if (info?.only127 && !EXCESS_PROPERTY_CODES.has(diagnostic.code)) continue;
    const message = summarise(diagnostic.message) + (info?.only127 ? ' in Kubernetes 1.27' : '');
    const id = `${info?.object}|${info?.path}`;
    if (info !== undefined && EXCESS_PROPERTY_CODES.has(diagnostic.code) && seen.has(id)) continue;
    seen.add(id);
    problems.push({
      check: 'fields',
      object: info?.object ?? '<unknown>',
      ...(info?.path ? { path: info.path } : {}),
      message,
    });
  }
  return problems;
}

/** Writes `value` one property per line, reporting each line with its JSON path. */
function literal(
  value: unknown,
  prefix: string,
  suffix: string,
  path: string,
  out: (text: string, path: string) => void,
): void {
  if (Array.isArray(value)) {
    out(`${prefix}[`, path);
    value.forEach((item, i) => {
      literal(item, '', ',', `${path}/${i}`, out);
    });
    out(`]${suffix}`, path);
  } else if (value !== null && typeof value === 'object') {
    out(`${prefix}{`, path);
    for (const [key, item] of Object.entries(value)) {
      const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
      literal(item, `${name}: `, ',', `${path}/${key}`, out);
    }
    out(`}${suffix}`, path);
  } else {
    out(`${prefix}${JSON.stringify(value) ?? 'undefined'}${suffix}`, path);
  }
}

/** Keeps the compiler's point ("'x' does not exist … Did you mean 'y'?") without the type dump. */
function summarise(message: string): string {
  const excess =
    /'"?([^'"]+)"?' does not exist in type .*?(Did you mean to write '([^']+)'\?)?$/.exec(message);
  if (excess?.[1] !== undefined) {
    const hint = excess[3] !== undefined ? ` (did you mean '${excess[3]}'?)` : '';
    return `unknown field '${excess[1]}'${hint}`;
  }
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}
