import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';

interface PanelLike {
  id?: number;
  panels?: PanelLike[];
  targets?: { refId?: string }[];
}

const refId = (i: number): string =>
  i < 26 ? String.fromCharCode(65 + i) : `${refId(Math.floor(i / 26) - 1)}${refId(i % 26)}`;

/**
 * The SDK leaves panels without `id` and queries without `refId`; Grafana needs both
 * (ids for links and panel state, refIds to tell a panel's queries apart). Numbers
 * panels (rows included) 1..n in screen order and letters each panel's queries A, B, …
 * Returns plain JSON (what Grafana's API and the committed files hold).
 */
export function finalizeDashboard(built: dashboard.Dashboard): Record<string, unknown> {
  const json = JSON.parse(JSON.stringify(built)) as Record<string, unknown> & {
    panels?: PanelLike[];
  };
  let next = 1;
  const visit = (panels: PanelLike[]): void => {
    for (const p of panels) {
      p.id = next++;
      p.targets?.forEach((t, i) => {
        t.refId = refId(i);
      });
      if (p.panels) visit(p.panels);
    }
  };
  visit(json.panels ?? []);
  return json;
}
