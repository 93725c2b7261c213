/**
 * Every PromQL expression the dashboards hold (panel targets and variable queries), and
 * the substitution of Grafana's variables that turns one into plain PromQL, as Grafana
 * would before sending it to Prometheus.
 */
import { buildAllDashboards, type GeneratedDashboard } from '../../../dashboards/index.ts';

/** One query of one panel. */
export interface PanelQuery {
  readonly dashboard: string;
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
  /** Legend format (`{{label}}` placeholders); empty for table queries. */
  readonly legend: string;
  /** Instant (table, ranking) rather than range query. */
  readonly instant: boolean;
}

/** A `label_values(selector, label)` variable query. */
export interface VariableQuery {
  readonly dashboard: string;
  readonly variable: string;
  readonly selector: string;
  readonly label: string;
}

interface PanelJson {
  title?: string;
  panels?: PanelJson[];
  targets?: {
    refId?: string;
    expr?: string;
    legendFormat?: string;
    instant?: boolean;
    range?: boolean;
  }[];
}

/** Every panel query of `dashboards`, in screen order. */
export function panelQueries(
  dashboards: readonly GeneratedDashboard[] = buildAllDashboards(),
): PanelQuery[] {
  const out: PanelQuery[] = [];
  const visit = (uid: string, panels: readonly PanelJson[]): void => {
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        out.push({
          dashboard: uid,
          panel: p.title ?? '(untitled)',
          refId: t.refId ?? '',
          expr: t.expr ?? '',
          legend: t.legendFormat ?? '',
          instant: t.instant === true && t.range !== true,
        });
      }
      visit(uid, p.panels ?? []);
    }
  };
  for (const d of dashboards) visit(d.uid, (d.json.panels ?? []) as PanelJson[]);
  return out;
}

/** Every `label_values` variable query of `dashboards`. */
export function variableQueries(
  dashboards: readonly GeneratedDashboard[] = buildAllDashboards(),
): VariableQuery[] {
  const out: VariableQuery[] = [];
  for (const d of dashboards) {
    const list =
      ((d.json.templating ?? {}) as { list?: { name: string; type: string; query?: unknown }[] })
        .list ?? [];
    for (const v of list) {
      if (v.type !== 'query') continue;
      const m = /^label_values\((.*), *([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(String(v.query));
      if (!m?.[1] || !m[2])
        throw new Error(
          `${d.uid}: variable ${v.name} is not label_values(selector, label): ${String(v.query)}`,
        );
      out.push({ dashboard: d.uid, variable: v.name, selector: m[1], label: m[2] });
    }
  }
  return out;
}

/** Values of Grafana's variables for turning a dashboard expression into PromQL. */
export type VariableValues = Readonly<Record<string, string>>;

/** "All" of every variable, a 1m rate interval and the default estimate size. */
export const ALL_VALUES: VariableValues = {
  __rate_interval: '1m',
  __range: '1h',
  namespace: '.*',
  job: '.+',
  instance: '.+',
  key_pattern: '.+',
  estimate_size: '10000',
};

/**
 * Replaces `$name` and `${name}` by `values[name]`. Throws on a variable without a value,
 * so a new variable cannot slip through to Prometheus unsubstituted.
 */
export function substitute(expr: string, values: VariableValues = ALL_VALUES): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? '';
    const v = values[name];
    if (v === undefined) throw new Error(`no value for variable ${whole} in ${expr}`);
    return v;
  });
}
