import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildAllDashboards } from '../dashboards/index.ts';
import { MONITORING_CONFIG } from '../monitoring/config.ts';
import { promtool, tempDirWith } from '../test/helpers/prometheus.ts';
import { durationMinutes, renderRuleTestFile } from './rule-test-file.ts';
import { ALERT_CASES } from './rule-tests.ts';
import { buildRuleGroups, renderRuleFile } from './rules.ts';
import { type AlertingRule, isAlertingRule, type RuleGroup } from './types.ts';

const groups = buildRuleGroups();
const alerts = groups.flatMap((g) => g.rules).filter(isAlertingRule);

/** promtool on freshly rendered files (the TypeScript source, not the committed copy). */
function runPromtool(
  g: readonly RuleGroup[],
  args: (ruleFile: string, testFile: string) => string[],
) {
  const tmp = tempDirWith({
    'rules.yaml': renderRuleFile(g),
    'rules.test.yaml': renderRuleTestFile(g),
  });
  try {
    return promtool(args('rules.yaml', 'rules.test.yaml'), tmp.dir);
  } finally {
    tmp.cleanup();
  }
}

describe('alert rules', () => {
  it('pass `promtool check rules`', () => {
    const r = runPromtool(groups, (rules) => ['check', 'rules', rules]);
    expect(r.output).toContain(
      `SUCCESS: ${groups.reduce((n, g) => n + g.rules.length, 0)} rules found`,
    );
    expect(r.code, r.output).toBe(0);
  });

  it('pass `promtool test rules`: each alert silent 1m before `for`, firing at `for`, silent on good series', () => {
    const r = runPromtool(groups, (_, tests) => ['test', 'rules', tests]);
    expect(r.output).toContain('SUCCESS');
    expect(r.code, r.output).toBe(0);
  });

  it('have a firing and a silent test case for every alert', () => {
    const tests = parse(renderRuleTestFile(groups)) as {
      tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
    };
    for (const a of alerts) {
      const checks = tests.tests
        .flatMap((t) => t.alert_rule_test ?? [])
        .filter((c) => c.alertname === a.alert);
      expect(
        checks.filter((c) => (c.exp_alerts ?? []).length > 0),
        a.alert,
      ).toHaveLength(1 + MONITORING_CONFIG.optionalLabels.length);
      expect(
        checks.filter((c) => (c.exp_alerts ?? []).length === 0),
        a.alert,
      ).toHaveLength(2);
    }
    expect(ALERT_CASES.map((c) => `${MONITORING_CONFIG.alertPrefix}${c.alert}`).sort()).toEqual(
      alerts.map((a) => a.alert).sort(),
    );
  });

  it('fail the promtool tests when a threshold changes (the tests can fail)', () => {
    const mutate = (rule: AlertingRule): AlertingRule =>
      rule.alert.endsWith('ErrorsHigh')
        ? { ...rule, expr: rule.expr.replace(/> [\d.]+$/, '> 0.5') }
        : rule;
    const broken = groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) => (isAlertingRule(r) ? mutate(r) : r)),
    }));
    const r = runPromtool(broken, (_, tests) => ['test', 'rules', tests]);
    expect(r.code).toBe(1);
    expect(r.output).toContain('MetasheetCacheErrorsHigh');
  });

  it('assert the rendered annotations of every alert with and without each optional label', () => {
    const tests = parse(renderRuleTestFile(groups)) as {
      tests: {
        name: string;
        alert_rule_test?: {
          alertname: string;
          exp_alerts?: {
            exp_labels: Record<string, string>;
            exp_annotations: Record<string, string>;
          }[];
        }[];
      }[];
    };
    for (const a of alerts) {
      const fired = tests.tests
        .flatMap((t) => t.alert_rule_test ?? [])
        .filter((c) => c.alertname === a.alert)
        .flatMap((c) => c.exp_alerts ?? []);
      for (const label of MONITORING_CONFIG.optionalLabels) {
        const without = fired.filter((e) => !(label in e.exp_labels));
        expect(without.length, `${a.alert} without ${label}`).toBeGreaterThanOrEqual(1);
        expect(tests.tests.map((t) => t.name)).toContain(
          `${a.alert}: fires with readable annotations on series without the ${label} label`,
        );
      }
      for (const e of fired) {
        expect(Object.keys(e.exp_annotations).sort(), a.alert).toEqual([
          'description',
          'runbook_url',
          'summary',
        ]);
        // What a missing label renders as: "<no value>", or an empty segment ("of /job").
        expect(e.exp_annotations.description, a.alert).not.toMatch(/<no value>|of \/|\/\/|\/ /);
      }
    }
  });

  it('fail the promtool tests when a description prints a missing namespace as "of /job"', () => {
    const naive = (rule: AlertingRule): AlertingRule => ({
      ...rule,
      annotations: {
        ...rule.annotations,
        description: rule.annotations.description.replace(
          '{{ with $labels.namespace }}{{ . }}/{{ end }}',
          '{{ $labels.namespace }}/',
        ),
      },
    });
    const broken = groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) => (isAlertingRule(r) ? naive(r) : r)),
    }));
    const r = runPromtool(broken, (_, tests) => ['test', 'rules', tests]);
    expect(r.code).toBe(1);
    expect(r.output).toContain('without the namespace label');
    expect(r.output).toContain('of /metasheet-cache');
  });

  it('follow the mixin conventions: prefix, severity, static summary, `for` quoted in the description', () => {
    for (const a of alerts) {
      expect(a.alert).toMatch(new RegExp(`^${MONITORING_CONFIG.alertPrefix}[A-Z][A-Za-z]+$`));
      expect(['critical', 'warning', 'info']).toContain(a.labels.severity);
      expect(a.annotations.summary).not.toContain('{{');
      expect(a.annotations.description).toContain(`for ${a.for}`);
      expect(durationMinutes(a.for)).toBeGreaterThanOrEqual(5);
    }
  });
});

describe('runbook', () => {
  const runbook = readFileSync(join(import.meta.dirname, 'runbook.md'), 'utf8');
  /** GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens. */
  const anchors = [...runbook.matchAll(/^#{1,6} +(.+)$/gm)].map((m) =>
    (m[1] ?? '')
      .trim()
      .toLowerCase()
      .replace(/[^\w\- ]/g, '')
      .replace(/ /g, '-'),
  );

  it('has a heading for every runbook_url of every alert', () => {
    for (const a of alerts) {
      const [base, anchor] = a.annotations.runbook_url.split('#');
      expect(base).toBe(MONITORING_CONFIG.runbookUrlBase);
      expect(base?.endsWith('/alerts/runbook.md')).toBe(true);
      expect(anchors, a.alert).toContain(anchor);
    }
  });

  it('names only dashboard panels that exist (_Dashboard → Panel_)', () => {
    const panels = new Set(
      buildAllDashboards().flatMap((d) =>
        (d.json.panels as { title: string }[]).map((p) => `${String(d.json.title)} → ${p.title}`),
      ),
    );
    const refs = [...runbook.replace(/\s+/g, ' ').matchAll(/[_*]([^_*→`]+?) → ([^_*]+?)[_*]/g)]
      .map((m) => `${m[1]} → ${m[2]}`)
      .filter((r) => !r.startsWith('Status → ')); // Prometheus' own UI, not a dashboard
    expect(refs.length).toBeGreaterThan(8);
    expect(refs.filter((r) => !panels.has(r))).toEqual([]);
  });

  it('has no section for an alert that does not exist', () => {
    const sections = [...runbook.matchAll(/^## +(\S+)$/gm)].map((m) => m[1]);
    expect(sections.sort()).toEqual(alerts.map((a) => a.alert).sort());
  });
});
