import { stringify } from 'yaml';
import { buildRecordingRules } from '../monitoring/recording.ts';
import { buildAlertGroup } from './alert-rules.ts';
import type { RuleGroup } from './types.ts';

/** The rule types, for consumers of `buildRuleGroups` (e.g. the k8s PrometheusRule). */
export type { AlertingRule, RecordingRule, Rule, RuleGroup } from './types.ts';

/**
 * Every rule group of the service, as plain Prometheus rule-file groups: recording rules
 * first (alerts and dashboards read them), then the alerts. No `interval`: groups run at
 * the server's `evaluation_interval`.
 */
export function buildRuleGroups(): RuleGroup[] {
  return [{ name: 'metasheet-cache.rules', rules: buildRecordingRules() }, buildAlertGroup()];
}

/** The rule file text (`groups: [...]`), as committed in `alerts/generated/rules.yaml`. */
export function renderRuleFile(groups: readonly RuleGroup[] = buildRuleGroups()): string {
  return `# Generated from alerts/*.ts by \`make alerts\`; do not edit.\n${stringify({ groups }, { lineWidth: 0 })}`;
}
