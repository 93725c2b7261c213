import { stringify } from 'yaml';
import { MONITORING_CONFIG } from '../monitoring/config.ts';
import { ALERT_CASES, type AlertCase, type InputSeries, RECORDING_CASES } from './rule-tests.ts';
import { type AlertingRule, isAlertingRule, type RuleGroup } from './types.ts';

/** Minutes of a Prometheus duration such as `90s`, `10m`, `1h` (whole minutes only). */
export function durationMinutes(d: string): number {
  const m = /^(\d+)([smh])$/.exec(d);
  const unitMin = { s: 1 / 60, m: 1, h: 60 } as const;
  const minutes = m ? Number(m[1]) * unitMin[m[2] as keyof typeof unitMin] : Number.NaN;
  if (!Number.isInteger(minutes)) throw new Error(`duration ${d} is not a whole number of minutes`);
  return minutes;
}

/** How a description names the deployment: `namespace/job`, or `job` without a namespace. */
function deploymentOf(labels: Readonly<Record<string, string>>): string {
  const job = labels.job ?? MONITORING_CONFIG.job;
  return labels.namespace ? `${labels.namespace}/${job}` : job;
}

/** `series` without the label `name` (promtool series notation `metric{k="v", ...}`). */
function dropLabel(series: InputSeries, name: string): InputSeries {
  const text = series.series
    .replace(new RegExp(`(\\{|, )${name}="[^"]*"(, )?`), (_, before: string, after?: string) =>
      before === '{' ? '{' : (after ?? ''),
    )
    .replace(/, \}$/, '}');
  return { ...series, series: text };
}

function alertTests(rule: AlertingRule, c: AlertCase) {
  const firesAt = c.pendingFromMin + durationMinutes(rule.for);
  const expected = (labels: Readonly<Record<string, string>>) => ({
    exp_labels: { ...labels, severity: rule.labels.severity },
    exp_annotations: { ...rule.annotations, description: c.description(deploymentOf(labels)) },
  });
  const withoutOptional = MONITORING_CONFIG.optionalLabels.map((name) => {
    const { [name]: _dropped, ...labels } = c.labels;
    return {
      interval: '1m',
      name: `${rule.alert}: fires with readable annotations on series without the ${name} label`,
      input_series: c.bad.map((s) => dropLabel(s, name)),
      alert_rule_test: [
        { eval_time: `${firesAt}m`, alertname: rule.alert, exp_alerts: [expected(labels)] },
      ],
    };
  });
  return [
    {
      interval: '1m',
      name: `${rule.alert}: silent 1m before ${rule.for}, fires at ${rule.for} on the bad series`,
      input_series: c.bad,
      alert_rule_test: [
        { eval_time: `${firesAt - 1}m`, alertname: rule.alert },
        { eval_time: `${firesAt}m`, alertname: rule.alert, exp_alerts: [expected(c.labels)] },
      ],
    },
    {
      interval: '1m',
      name: `${rule.alert}: silent on the good series`,
      input_series: c.good,
      alert_rule_test: [{ eval_time: `${firesAt}m`, alertname: rule.alert }],
    },
    ...withoutOptional,
  ];
}

/**
 * The promtool test file for `groups` (`promtool test rules`), reading the rule file
 * `ruleFile` relative to itself. Throws when an alert has no case in `ALERT_CASES`.
 */
export function renderRuleTestFile(groups: readonly RuleGroup[], ruleFile = 'rules.yaml'): string {
  const alerts = groups.flatMap((g) => g.rules).filter(isAlertingRule);
  const tests = alerts.flatMap((rule) => {
    const c = ALERT_CASES.find((x) => `${MONITORING_CONFIG.alertPrefix}${x.alert}` === rule.alert);
    if (!c)
      throw new Error(`alert ${rule.alert} has no promtool test case in alerts/rule-tests.ts`);
    return alertTests(rule, c);
  });
  const recording = RECORDING_CASES.map((c) => ({
    interval: '1m',
    name: c.name,
    input_series: c.input,
    promql_expr_test: [{ expr: c.expr, eval_time: `${c.evalMin}m`, exp_samples: c.expSamples }],
  }));
  const body = stringify(
    {
      rule_files: [ruleFile],
      evaluation_interval: '1m',
      // Recording groups first, so alerts see this step's recorded samples (promtool's
      // default order of groups is random, which makes `pending since` flaky by a step).
      group_eval_order: groups.map((g) => g.name),
      tests: [...tests, ...recording],
    },
    { lineWidth: 0 },
  );
  return `# Generated from alerts/rule-tests.ts by \`make alerts\`; do not edit.\n${body}`;
}
