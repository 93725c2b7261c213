import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { objectRef, type Problem } from './problem.ts';
import { typeKey } from './schemas.ts';

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

/**
 * Parsed declaration files (TypeScript's lib, the model packages): immutable during a run, and
 * parsing them is most of the cost of a check, so repeated checks (tests, both variants) share them.
 */
const declarationCache = new Map<string, ts.SourceFile>();

/**
 * Catches unknown and misspelt fields, which the JSON schemas let through: each object is
 * written out as a TypeScript object literal typed with its model interface, and the
 * compiler's excess-property check flags every key the API does not define, at any depth.
 * Takes ~1 s for the first call (one in-memory TypeScript program), less after.
 */
export function checkKnownFields(objects: ReadonlyArray<Record<string, unknown>>): Problem[] {
  const problems: Problem[] = [];
  const lines: string[] = [];
  const lineInfo: Array<{ object: string; path: string }> = [];
  const emit = (text: string, object: string, path: string) => {
    lines.push(text);
    lineInfo.push({ object, path });
  };
  objects.forEach((object, index) => {
    const model = TYPED_MODELS[typeKey(object)];
    const ref = objectRef(object);
    if (model === undefined) {
      problems.push({
        check: 'fields',
        object: ref,
        message: `no typed model for ${typeKey(object)}`,
      });
      return;
    }
    emit(`import type { ${model.type} as T${index} } from '${model.module}';`, ref, '');
    literal(object, `export const o${index}: T${index} = `, ';', '', (text, path) =>
      emit(text, ref, path),
    );
  });

  // A file beside this one, so `node_modules` resolves as it does for the repo's own code.
  const fileName = fileURLToPath(new URL('./__known-fields__.ts', import.meta.url));
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
    lib: ['lib.es2022.d.ts'],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) => {
    if (name === fileName) return ts.createSourceFile(name, source, languageVersion);
    const cached = declarationCache.get(name);
    if (cached !== undefined) return cached;
    const parsed = getSourceFile(name, languageVersion, ...rest);
    if (parsed !== undefined && name.endsWith('.d.ts')) declarationCache.set(name, parsed);
    return parsed;
  };
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  const sourceFile = program.getSourceFile(fileName);
  for (const diagnostic of ts.getPreEmitDiagnostics(program, sourceFile)) {
    const line =
      sourceFile && diagnostic.start !== undefined
        ? sourceFile.getLineAndCharacterOfPosition(diagnostic.start).line
        : -1;
    const info = lineInfo[line];
    problems.push({
      check: 'fields',
      object: info?.object ?? '<unknown>',
      ...(info?.path ? { path: info.path } : {}),
      message: summarise(ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')),
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
