import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildRuleGroups } from '../alerts/rules.ts';
import { isAlertingRule } from '../alerts/types.ts';
import { buildDeps } from '../service/build.ts';
import { loadConfig } from '../service/config.ts';
import { createLogger } from '../service/logger.ts';
import { METRIC_NAMES, METRICS } from '../service/metrics/names.ts';
import {
  panelQueries,
  substitute,
  variableQueries,
} from '../test/helpers/dashboards/expressions.ts';
import { parsePromQL } from '../test/helpers/dashboards/promql-parse.ts';
import { promtool, tempDirWith } from '../test/helpers/prometheus.ts';

const groups = buildRuleGroups();
const rules = groups.flatMap((g) => g.rules);
const recorded = new Set(rules.flatMap((r) => ('record' in r ? [r.record] : [])));

/** Every expression with a name saying where it comes from, variables substituted. */
const EXPRESSIONS: readonly { where: string; expr: string }[] = [
  ...rules.map((r) => ({ where: `rule ${isAlertingRule(r) ? r.alert : r.record}`, expr: r.expr })),
  ...panelQueries().map((q) => ({
    where: `panel ${q.dashboard}/${q.panel}/${q.refId}`,
    expr: substitute(q.expr),
  })),
  ...variableQueries().map((v) => ({
    where: `variable ${v.dashboard}/$${v.variable}`,
    expr: substitute(v.selector),
  })),
];

/** Labels Prometheus adds to every scraped series (the k8s ServiceMonitor adds namespace). */
const TARGET_LABELS = ['namespace', 'job', 'instance'];

/**
 * Label names each series may carry: the contract's labels plus target labels; for a
 * recorded series, its `by` labels (or, without aggregation, those of its inputs).
 */
const LABELS_OF = new Map<string, Set<string>>();
for (const m of Object.values(METRICS))
  LABELS_OF.set(m.name, new Set([...m.labels, ...TARGET_LABELS]));
LABELS_OF.set(
  `${METRICS.httpDuration.name}_bucket`,
  new Set([...METRICS.httpDuration.labels, ...TARGET_LABELS, 'le']),
);
for (const r of rules) {
  if (!('record' in r)) continue;
  const p = parsePromQL(r.expr);
  const from =
    p.groupingLabels.length > 0
      ? p.groupingLabels
      : p.metrics.flatMap((m) => [...(LABELS_OF.get(m) ?? [])]);
  const labels = from.filter((l) => !(l === 'le' && r.expr.startsWith('histogram_quantile(')));
  LABELS_OF.set(
    r.record,
    new Set([...(LABELS_OF.get(r.record) ?? []), ...labels, ...Object.keys(r.labels ?? {})]),
  );
}

/** Label names `expr` (and its legend or description) uses that none of its series has. */
function labelProblems(expr: string, templated = ''): string[] {
  const p = parsePromQL(expr);
  const problems = p.selectors.flatMap((s) =>
    s.labels
      .filter((l) => !LABELS_OF.get(s.metric)?.has(l))
      .map((l) => `${s.metric} has no label ${l}`),
  );
  const available = new Set([
    ...p.metrics.flatMap((m) => [...(LABELS_OF.get(m) ?? [])]),
    ...p.createdLabels,
  ]);
  const used = [
    ...p.groupingLabels,
    // Legends `{{label}}`, and `$labels.x` anywhere in a description (also inside
    // `{{ with $labels.x }}`); Go template keywords such as `{{ end }}` are not labels.
    ...[...templated.matchAll(/\{\{ *(\w+) *\}\}/g)]
      .map((m) => m[1] ?? '')
      .filter((name) => !['end', 'else'].includes(name)),
    ...[...templated.matchAll(/\$labels\.(\w+)/g)].map((m) => m[1] ?? ''),
  ];
  return [
    ...problems,
    ...used
      .filter((l) => !available.has(l))
      .map((l) => `no series of the expression has label ${l}`),
  ];
}

/**
 * Series names the real service registers, from the registry `service/build.ts` wires for
 * the service (FEATURE_CACHE on, so the estimator's gauges are there too), plus the
 * series of each histogram.
 */
async function registeredSeriesNames(): Promise<Set<string>> {
  const deps = buildDeps(
    loadConfig({ FEATURE_CACHE: 'true', CACHE_IMPL: 'memory' }),
    createLogger('error'),
  );
  const names = new Set<string>();
  for (const m of await deps.metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') {
      for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    }
  }
  await deps.cache.close();
  return names;
}

describe('PromQL of dashboards and rules', () => {
  let registered: Set<string>;
  beforeAll(async () => {
    registered = await registeredSeriesNames();
  });

  it('parses with the PromQL grammar (lezer-promql), every expression', () => {
    expect(EXPRESSIONS.length).toBeGreaterThan(40);
    for (const e of EXPRESSIONS)
      expect(parsePromQL(e.expr).errors, `${e.where}: ${e.expr}`).toEqual([]);
  });

  it('names only metrics the real service registers (its registry as service/build.ts wires it) or recording rules', () => {
    const used = new Set<string>();
    for (const e of EXPRESSIONS) {
      for (const m of parsePromQL(e.expr).metrics) {
        used.add(m);
        expect(registered.has(m) || recorded.has(m), `${e.where} selects unknown metric ${m}`).toBe(
          true,
        );
      }
    }
    // Every contract metric the service exports is used by a panel or rule.
    const unused = METRIC_NAMES.filter(
      (n) => ![...used].some((u) => u === n || u === `${n}_bucket`),
    );
    // Read by the Phase 2 report (scripts/phase2/queries.ts), not by a panel or rule; and
    // cache_config_reloads_total is for people (rate of failed reloads); the alert reads the gauges.
    expect([...unused].sort()).toEqual(
      [
        'cache_estimated_hit_ratio_by_bytes',
        'cache_estimated_working_set_entries',
        'cache_estimated_tag_set_bytes',
        'cache_estimated_tag_sets',
        'cache_estimated_tag_sets_bytes',
        'cache_estimator_shared_replicas',
        'cache_estimator_sampling_rate',
        'cache_config_reloads_total',
      ].sort(),
    );
  });

  it('uses only label names the selected series carry (matchers, by/on, legends, descriptions)', () => {
    for (const r of rules) {
      const templated = isAlertingRule(r) ? r.annotations.description : '';
      expect(
        labelProblems(r.expr, templated),
        `rule ${isAlertingRule(r) ? r.alert : r.record}`,
      ).toEqual([]);
    }
    for (const q of panelQueries()) {
      expect(
        labelProblems(substitute(q.expr), q.legend),
        `${q.dashboard}/${q.panel}/${q.refId}`,
      ).toEqual([]);
    }
    expect(labelProblems('sum by (key_pattern) (rate(cache_errors_total[5m]))')).toEqual([
      'no series of the expression has label key_pattern',
    ]);
    expect(labelProblems('cache_enabled{key_pattern="x"}', '{{route}}')).toEqual([
      'cache_enabled has no label key_pattern',
      'no series of the expression has label route',
    ]);
  });

  it('catches a misspelt metric and a syntax error (the checker can fail)', () => {
    const typo = parsePromQL('sum(rate(cache_hit_total{job="x"}[5m]))');
    expect(typo.metrics).toEqual(['cache_hit_total']);
    expect(registered.has('cache_hit_total')).toBe(false);
    expect(parsePromQL('sum(rate(cache_hits_total[5m])').errors.length).toBeGreaterThan(0);
    expect(parsePromQL('{__name__=~"cache_.*"}').errors.length).toBeGreaterThan(0);
  });

  it('passes promtool (parser and type checks) for every panel and variable query', () => {
    const panelRules = EXPRESSIONS.filter((e) => !e.where.startsWith('rule ')).map((e, i) => ({
      record: `panel_check:${i}`,
      expr: e.expr,
    }));
    const tmp = tempDirWith({
      'panels.yaml': stringify({ groups: [{ name: 'panels', rules: panelRules }] }),
    });
    try {
      const r = promtool(['check', 'rules', 'panels.yaml'], tmp.dir);
      expect(r.code, r.output).toBe(0);
      expect(r.output).toContain(`SUCCESS: ${panelRules.length} rules found`);
    } finally {
      tmp.cleanup();
    }
  });
});
