import { describe, expect, it } from 'vitest';
import { synthStaging } from './chart.ts';
import type { MonitoringSources } from './monitoring.ts';

const sources: MonitoringSources = {
  ruleGroups: [{ name: 'g', rules: [{ record: 'job:up:sum', expr: 'sum(up)' }] }],
  dashboards: [{ uid: 'd', file: 'd.json', json: { panels: [] } }],
};

/** Every leaf path whose value differs between two JSON values. */
function diffPaths(a: unknown, b: unknown, path = ''): string[] {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      diffPaths(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        `${path}/${k}`,
      ),
    );
  }
  return Object.is(a, b) ? [] : [path];
}

describe('FEATURE_CACHE synthesis toggle', () => {
  const off = synthStaging({ image: { tag: '1.0.0' } }, sources);
  const on = synthStaging({ image: { tag: '1.0.0' }, featureCache: true }, sources);

  it('is off by default', () => {
    expect(off.config.featureCache).toBe(false);
  });

  it('changes exactly the runtime file (no pod-template change: the pods reload it, no rollout)', () => {
    expect(on.objects).toHaveLength(off.objects.length);
    const changed = off.objects.flatMap((object, i) =>
      diffPaths(object, on.objects[i]).map((p) => `${String(object.kind)}${p}`),
    );
    expect(changed).toEqual(['ConfigMap/data/cache.env']);
  });

  it('flips FEATURE_CACHE in the runtime file; the checksum stays (it covers restart-only settings)', () => {
    const file = (m: typeof off) =>
      m.objects.find((o) => (o.metadata as { name?: string }).name === 'metasheet-cache-runtime')
        ?.data as Record<string, string> | undefined;
    expect(file(off)?.['cache.env']).toMatch(/^FEATURE_CACHE=false$/m);
    expect(file(on)?.['cache.env']).toMatch(/^FEATURE_CACHE=true$/m);
    const checksum = (m: typeof off) =>
      JSON.stringify(m.objects[1]).match(/"metasheet\.io\/config-checksum":"([0-9a-f]{64})"/)?.[1];
    expect(checksum(off)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(on)).toBe(checksum(off));
    // A restart-only setting still rolls the pods.
    const debug = synthStaging({ image: { tag: '1.0.0' }, logLevel: 'debug' }, sources);
    expect(checksum(debug)).not.toBe(checksum(off));
  });
});
