/**
 * Offline check of dashboard JSON against the SDK's own model types: each JSON is
 * compiled as an object literal of the `Dashboard` interface, so TypeScript reports
 * wrong types, missing required fields and (excess-property checks) misspelt fields.
 * No Grafana server runs here; this is the closest thing to its schema validation.
 */
import { join } from 'node:path';
import ts from 'typescript';

/** The type the JSON must satisfy: the SDK model with enums as their values, no methods. */
const PRELUDE = `
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import type * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
type IsAny<T> = 0 extends 1 & T ? true : false;
type Plain<T> = IsAny<T> extends true ? T
  : T extends (...args: never[]) => unknown ? never
  : T extends string ? \`\${T}\`
  : T extends readonly (infer U)[] ? Plain<U>[]
  : T extends object ? { [K in keyof T as K extends '_implementsDataqueryVariant' ? never : K]: Plain<T[K]> }
  : T;
type Query = Plain<prometheus.Dataquery>;
type PanelJson = Omit<Plain<dashboard.Panel>, 'targets'> & { targets?: Query[] };
type DashboardJson = Omit<Plain<dashboard.Dashboard>, 'panels'> & { panels?: (PanelJson | Plain<dashboard.RowPanel>)[] };
`;

/**
 * TypeScript's diagnostics for each dashboard JSON as a `Dashboard` literal, keyed by
 * name; an empty list means the JSON fits the model.
 */
export function checkDashboardModels(
  dashboards: Readonly<Record<string, Record<string, unknown>>>,
): Record<string, string[]> {
  const root = join(import.meta.dirname, '..', '..', '..');
  const names = Object.keys(dashboards);
  const files = new Map(
    names.map((n, i) => [
      join(root, 'dashboards', `__model_check_${i}__.ts`),
      `${PRELUDE}\nexport const d: DashboardJson = ${JSON.stringify(dashboards[n], null, 1)};\n`,
    ]),
  );
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => files.has(f) || fileExists.call(host, f);
  host.readFile = (f) => files.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, ...rest) => {
    const text = files.get(f);
    return text !== undefined
      ? ts.createSourceFile(f, text, lang)
      : getSourceFile.call(host, f, lang, ...rest);
  };
  const program = ts.createProgram([...files.keys()], options, host);
  const out: Record<string, string[]> = {};
  [...files.keys()].forEach((file, i) => {
    const source = program.getSourceFile(file);
    const diags = source ? ts.getPreEmitDiagnostics(program, source) : [];
    out[names[i] ?? file] = diags.map((d) => {
      const where =
        d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      const line = where ? d.file?.text.split('\n')[where.line]?.trim() : '';
      return `${ts.flattenDiagnosticMessageText(d.messageText, '\n')} (at ${line})`;
    });
  });
  return out;
}
