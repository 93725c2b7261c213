import { describe, expect, it } from 'vitest';
import { panelQueries, variableQueries } from '../test/helpers/dashboards/expressions.ts';
import { buildAllDashboards } from './index.ts';

interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { uid?: string };
  targets?: { refId?: string; expr?: string; datasource?: { uid?: string } }[];
  fieldConfig?: { defaults?: { thresholds?: { steps?: { value: number | null }[] } } };
}
const panelsOf = (json: Record<string, unknown>): Panel[] => (json.panels ?? []) as Panel[];

describe('dashboards', () => {
  const dashboards = buildAllDashboards();

  it('are the three of the issue, with unique uids and files named after them', () => {
    expect(dashboards.map((d) => d.uid)).toEqual([
      'cache-overview',
      'cache-candidates',
      'cache-rollout',
    ]);
    for (const d of dashboards) {
      expect(d.file).toBe(`${d.uid}.json`);
      expect(d.json.uid).toBe(d.uid);
    }
  });

  it('number every panel (ids unique per dashboard) and letter every query (refIds unique per panel)', () => {
    for (const d of dashboards) {
      const ids = panelsOf(d.json).map((p) => p.id);
      expect(
        ids.every((id) => typeof id === 'number' && id > 0),
        d.uid,
      ).toBe(true);
      expect(new Set(ids).size, d.uid).toBe(ids.length);
      for (const p of panelsOf(d.json)) {
        const refIds = (p.targets ?? []).map((t) => t.refId);
        expect(refIds, `${d.uid}/${p.title}`).toEqual(
          ['A', 'B', 'C', 'D', 'E'].slice(0, refIds.length),
        );
      }
    }
  });

  it('give every non-row panel at least one Prometheus query on $datasource', () => {
    for (const d of dashboards) {
      for (const p of panelsOf(d.json).filter((x) => x.type !== 'row')) {
        expect(p.targets?.length, `${d.uid}/${p.title}`).toBeGreaterThan(0);
        expect(p.datasource?.uid).toBe('$datasource');
        for (const t of p.targets ?? []) {
          expect(t.datasource?.uid).toBe('$datasource');
          expect(t.expr?.length).toBeGreaterThan(0);
        }
      }
    }
  });

  it('have the datasource, namespace, job, instance and key_pattern variables', () => {
    for (const d of dashboards) {
      const list = (d.json.templating as { list: { name: string; type: string }[] }).list;
      expect(list.slice(0, 5).map((v) => [v.name, v.type])).toEqual([
        ['datasource', 'datasource'],
        ['namespace', 'query'],
        ['job', 'query'],
        ['instance', 'query'],
        ['key_pattern', 'query'],
      ]);
    }
    expect(variableQueries().length).toBe(12);
  });

  it('filter every panel query by the namespace and job variables', () => {
    for (const q of panelQueries()) {
      expect(q.expr, `${q.dashboard}/${q.panel}/${q.refId}`).toContain('namespace=~"$namespace"');
      expect(q.expr, `${q.dashboard}/${q.panel}/${q.refId}`).toContain('job=~"$job"');
    }
  });

  it('draw the Phase 2 thresholds (100 accesses/min, 500 ms p95) on the candidates dashboard', () => {
    const candidates = dashboards.find((d) => d.uid === 'cache-candidates');
    const steps = panelsOf(candidates?.json ?? {}).flatMap(
      (p) => p.fieldConfig?.defaults?.thresholds?.steps?.map((s) => s.value) ?? [],
    );
    expect(steps).toContain(100);
    expect(steps).toContain(0.5);
  });

  it('are built fresh on every call (builders mutate in place)', () => {
    const again = buildAllDashboards();
    // A helper sharing one builder would add its targets again on the second build.
    expect(again).toEqual(dashboards);
    expect(again[0]?.json).not.toBe(dashboards[0]?.json);
  });
});
