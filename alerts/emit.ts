/**
 * `make alerts`: writes the rule file `alerts/generated/rules.yaml` and its promtool
 * unit tests `alerts/generated/rules.test.yaml`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRuleTestFile } from './rule-test-file.ts';
import { buildRuleGroups, renderRuleFile } from './rules.ts';

const dir = join(import.meta.dirname, 'generated');
mkdirSync(dir, { recursive: true });
const groups = buildRuleGroups();
writeFileSync(join(dir, 'rules.yaml'), renderRuleFile(groups));
writeFileSync(join(dir, 'rules.test.yaml'), renderRuleTestFile(groups));
console.log(`wrote ${groups.length} rule groups and their promtool tests to ${dir}`);
