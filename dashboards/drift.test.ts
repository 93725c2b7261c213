import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderRuleTestFile } from '../alerts/rule-test-file.ts';
import { buildRuleGroups, renderRuleFile } from '../alerts/rules.ts';
import { buildAllDashboards, renderDashboard } from './index.ts';

const ROOT = join(import.meta.dirname, '..');
const FIX = 'generated files are stale: run `make dashboards alerts` and commit the result';
const read = (path: string): string => {
  try {
    return readFileSync(join(ROOT, path), 'utf8');
  } catch {
    return `(missing ${path})`;
  }
};

describe('committed generated files equal what the TypeScript emits', () => {
  const dashboards = buildAllDashboards();

  it.each(dashboards.map((d) => [d.file, d] as const))('dashboards/generated/%s', (file, d) => {
    expect(read(`dashboards/generated/${file}`) === renderDashboard(d), `${file}: ${FIX}`).toBe(
      true,
    );
  });

  it('dashboards/generated holds no dashboard that is no longer built', () => {
    const committed = readdirSync(join(ROOT, 'dashboards/generated')).filter((f) =>
      f.endsWith('.json'),
    );
    expect(committed.sort(), FIX).toEqual(dashboards.map((d) => d.file).sort());
  });

  it('alerts/generated/rules.yaml and rules.test.yaml', () => {
    const groups = buildRuleGroups();
    expect(
      read('alerts/generated/rules.yaml') === renderRuleFile(groups),
      `rules.yaml: ${FIX}`,
    ).toBe(true);
    expect(
      read('alerts/generated/rules.test.yaml') === renderRuleTestFile(groups),
      `rules.test.yaml: ${FIX}`,
    ).toBe(true);
  });
});
