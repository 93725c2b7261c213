import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAllDashboards } from './index.ts';
import { CACHE_STATE_TITLE } from './panels.ts';
import { PANEL_PHASES, PHASES, panelTitles, phaseMatrixMarkdown } from './phases.ts';

const dashboards = buildAllDashboards();

describe('phase-to-panel matrix (dashboards/phases.ts)', () => {
  it('lists every panel of every dashboard, and nothing else', () => {
    const built = Object.fromEntries(dashboards.map((d) => [d.uid, panelTitles(d).sort()]));
    const declared = Object.fromEntries(
      Object.entries(PANEL_PHASES).map(([uid, panels]) => [uid, Object.keys(panels).sort()]),
    );
    expect(declared).toEqual(built);
  });

  it('gives every panel at least one phase', () => {
    for (const [uid, panels] of Object.entries(PANEL_PHASES))
      for (const [title, phases] of Object.entries(panels))
        expect(phases.length, `${uid} / ${title}`).toBeGreaterThan(0);
  });

  it('opens every dashboard with the cache state stat, meant for every phase (it says why panels are empty)', () => {
    for (const d of dashboards) {
      expect(panelTitles(d)[0], d.uid).toBe(CACHE_STATE_TITLE);
      expect([...(PANEL_PHASES[d.uid]?.[CACHE_STATE_TITLE] ?? [])].sort()).toEqual(
        Object.keys(PHASES).sort(),
      );
    }
  });

  it('is the matrix the README shows', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    expect(readme, 'README.md: paste phaseMatrixMarkdown() into the dashboards section').toContain(
      phaseMatrixMarkdown(),
    );
  });
});
