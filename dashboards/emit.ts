/**
 * `make dashboards`: writes every dashboard to `dashboards/generated/<uid>.json` and
 * removes generated files no builder produces any more.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAllDashboards, renderDashboard } from './index.ts';

const dir = join(import.meta.dirname, 'generated');
mkdirSync(dir, { recursive: true });
const dashboards = buildAllDashboards();
for (const d of dashboards) writeFileSync(join(dir, d.file), renderDashboard(d));
const keep = new Set(dashboards.map((d) => d.file));
for (const f of readdirSync(dir)) {
  if (f.endsWith('.json') && !keep.has(f)) rmSync(join(dir, f));
}
console.log(`wrote ${dashboards.length} dashboards to ${dir}`);
