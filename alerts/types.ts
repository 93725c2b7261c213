import type { RecordingRule } from '../monitoring/recording.ts';

/** A Prometheus recording rule (defined with the recording rules in `monitoring/`). */
export type { RecordingRule };

/** A Prometheus alerting rule, as written in a rule file. */
export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>> & { readonly severity: Severity };
  readonly annotations: {
    readonly summary: string;
    readonly description: string;
    readonly runbook_url: string;
  };
}

/** Either kind of rule of a group. */
export type Rule = RecordingRule | AlertingRule;

/** One group of a Prometheus rule file (`groups: [...]`). */
export interface RuleGroup {
  readonly name: string;
  /** Evaluation interval; omitted = the server's `evaluation_interval`. */
  readonly interval?: string;
  readonly rules: readonly Rule[];
}

/** Mixin severities: page, ticket, or for information only. */
export type Severity = 'critical' | 'warning' | 'info';

/** Narrows a rule to an alerting rule. */
export function isAlertingRule(rule: Rule): rule is AlertingRule {
  return 'alert' in rule;
}
