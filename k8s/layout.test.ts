import { describe, expect, it } from 'vitest';
import { buildRuleGroups } from '../alerts/rules.ts';
import {
  buildAllDashboards,
  type GeneratedDashboard,
  renderDashboard,
} from '../dashboards/index.ts';
import { applyMergePatch, assembleObjects, LAYOUT, mergePatch } from './layout.ts';
import { readCommittedLayout, synthLayout } from './staging.ts';

/** Change blocks (maximal runs of differing lines) and changed lines between two texts (LCS). */
function lineDiff(a: string, b: string): { removed: number; added: number; blocks: number } {
  const x = a.split('\n');
  const y = b.split('\n');
  let pre = 0;
  while (pre < x.length && pre < y.length && x[pre] === y[pre]) pre++;
  let suf = 0;
  while (
    suf < x.length - pre &&
    suf < y.length - pre &&
    x[x.length - 1 - suf] === y[y.length - 1 - suf]
  )
    suf++;
  const xs = x.slice(pre, x.length - suf);
  const ys = y.slice(pre, y.length - suf);
  // LCS table of the differing middle; a one-panel change keeps it tiny.
  const n = xs.length;
  const m = ys.length;
  const t = new Int32Array((n + 1) * (m + 1));
  const at = (i: number, j: number): number => t[i * (m + 1) + j] ?? 0;
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      t[i * (m + 1) + j] =
        xs[i] === ys[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
  let removed = 0;
  let added = 0;
  let blocks = 0;
  let inBlock = false;
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && xs[i] === ys[j]) {
      i++;
      j++;
      inBlock = false;
      continue;
    }
    if (!inBlock) blocks++;
    inBlock = true;
    if (j < m && (i === n || at(i, j + 1) >= at(i + 1, j))) {
      added++;
      j++;
    } else {
      removed++;
      i++;
    }
  }
  return { removed, added, blocks };
}

/** Every generated file a dashboard change can touch: dashboards/generated and k8s/generated. */
function generated(dashboards: readonly GeneratedDashboard[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const d of dashboards) files.set(`dashboards/generated/${d.file}`, renderDashboard(d));
  const { files: k8s } = synthLayout({}, { ruleGroups: buildRuleGroups(), dashboards });
  for (const [path, text] of k8s) files.set(path, text);
  return files;
}

describe('generated YAML layout (k8s/layout.ts)', () => {
  it('a one-panel title change diffs as that line of the dashboard JSON plus one checksum line', () => {
    const before = generated(buildAllDashboards());
    // The title change as the TypeScript would make it, applied to the built model (the
    // same object the generators read), then everything regenerated in memory.
    const changed = buildAllDashboards();
    const rollout = changed.find((d) => d.uid === 'cache-rollout');
    const panel = (rollout?.json.panels as { title: string }[] | undefined)?.find(
      (p) => p.title === 'Circuit breaker',
    );
    if (!panel) throw new Error('panel "Circuit breaker" of cache-rollout not found');
    panel.title = 'Circuit breaker state';
    const after = generated(changed);

    const diffs = [...before].flatMap(([path, text]) => {
      const d = lineDiff(text, after.get(path) ?? '');
      return d.removed + d.added > 0 ? [{ path, ...d }] : [];
    });
    // Bound: the title is one JSON line (1 removed + 1 added); the dashboard ConfigMap
    // carries the JSON by name and sha256 only, so it changes by its checksum line
    // (1 + 1). Nothing else embeds a dashboard: 2 files, one block each, 4 lines in all.
    expect(diffs).toEqual([
      { path: 'dashboards/generated/cache-rollout.json', removed: 1, added: 1, blocks: 1 },
      { path: LAYOUT.dashboards, removed: 1, added: 1, blocks: 1 },
    ]);
    const total = diffs.reduce((n, d) => n + d.removed + d.added, 0);
    expect(total).toBeLessThanOrEqual(4);
  });

  it('the FEATURE_CACHE=true file holds only what the toggle changes', () => {
    const { off, on } = synthLayout({});
    const patchText = readCommittedLayout().get(LAYOUT.featureCachePatch) ?? '';
    // The flag lives in the runtime ConfigMap (CACHE_CONFIG_FILE): pods reload it, no rollout.
    expect(patchText).toContain('FEATURE_CACHE=true');
    // Far smaller than the objects it patches (the whole app is ~200 lines).
    expect(patchText.split('\n').length).toBeLessThan(30);
    expect(on.objects).not.toEqual(off.objects);
  });

  it('keeps multi-line PromQL multi-line (block scalars) and no line past 250 characters', () => {
    const monitoring = readCommittedLayout().get(LAYOUT.monitoring) ?? '';
    expect(monitoring).toMatch(/- expr: \|-\n\s+sum by \(namespace, job, key_pattern\) \(\n/);
    for (const [path, text] of readCommittedLayout())
      for (const line of text.split('\n')) expect(line.length, path).toBeLessThanOrEqual(250);
  });

  it('refuses a dashboard file that does not match its checksum, naming it', () => {
    const files = readCommittedLayout();
    const read = (path: string) => `${path} edited by hand\n`;
    expect(() => assembleObjects(files, false, read)).toThrow(
      /dashboards\/generated\/cache-overview\.json does not match metasheet\.io\/dashboard-sha256/,
    );
  });

  it('merge patches round-trip (RFC 7386: changed leaves only, removed keys as null)', () => {
    const a = { x: 1, m: { keep: 'k', change: 'a', drop: 'd' }, list: [1, 2] };
    const b = { x: 1, m: { keep: 'k', change: 'b', add: 'n' }, list: [1, 3] };
    const patch = mergePatch(a, b);
    expect(patch).toEqual({ m: { change: 'b', drop: null, add: 'n' }, list: [1, 3] });
    expect(applyMergePatch(a, patch)).toEqual(b);
    expect(mergePatch(a, structuredClone(a))).toBeUndefined();
  });
});
