import { describe, expect, it } from 'vitest';
import { checkDashboardModels } from '../test/helpers/dashboards/model-check.ts';
import { buildAllDashboards } from './index.ts';

describe('dashboard JSON against the SDK model types (offline Grafana schema check)', () => {
  it('fits the Dashboard model: no wrong type, missing field or misspelt field', () => {
    const all = Object.fromEntries(buildAllDashboards().map((d) => [d.file, d.json]));
    const results = checkDashboardModels(all);
    expect(Object.keys(results)).toHaveLength(3);
    for (const [file, problems] of Object.entries(results)) expect(problems, file).toEqual([]);
  });

  it('reports a misspelt field, a wrong type and a bad enum value (the check can fail)', () => {
    const base = buildAllDashboards()[0]?.json ?? {};
    const panels = base.panels as Record<string, unknown>[];
    const results = checkDashboardModels({
      misspelt: { ...base, panels: [{ ...panels[1], gridPoss: { x: 0 } }] },
      wrongType: { ...base, title: 42 },
      badEnum: { ...base, graphTooltip: 'sometimes' },
    });
    expect(results.misspelt?.join('\n')).toMatch(/gridPoss/);
    expect(results.wrongType?.join('\n')).toMatch(/number.*not assignable.*string/);
    expect(results.badEnum?.join('\n')).toMatch(/not assignable/);
  });
});
