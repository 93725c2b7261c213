/**
 * Offline check of dashboard JSON against the SDK's own model types: each JSON is
 * compiled as an object literal of the `Dashboard` interface, so TypeScript reports
 * wrong types, missing required fields and (excess-property checks) misspelt fields.
 * No Grafana server runs here; this is the closest thing to its schema validation. The
 * compiler setup is the one the k8s field lint uses (`k8s/validate/typecheck.ts`).
 */
import { join } from 'node:path';
import { typecheckModules } from '../../../k8s/validate/typecheck.ts';

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
  const diagnostics = typecheckModules(files);
  return Object.fromEntries(
    [...files.keys()].map((file, i) => [
      names[i] ?? file,
      (diagnostics.get(file) ?? []).map((d) => `${d.message} (at ${d.lineText})`),
    ]),
  );
}
