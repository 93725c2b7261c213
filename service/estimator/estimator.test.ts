import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { METRICS, OTHER_PATTERN } from '../metrics/names.ts';
import { createMetrics } from '../metrics/registry.ts';
import { MrcEstimator } from './estimator.ts';
import { registerEstimatorGauges } from './metrics.ts';

/** A read-through access as an observe-only service makes it: get, then the fill. */
function access(
  e: MrcEstimator,
  pattern: string,
  key: string,
  bytes: number,
  ttlMs: number,
  now: number,
) {
  e.onGet(pattern, key, now);
  e.onSet(pattern, key, bytes, ttlMs, now);
}

function sampleValue(text: string, metric: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('MrcEstimator', () => {
  it('keeps one curve per pattern: a loop of 50 user keys hits at 50 entries, not at 49', () => {
    let now = 0;
    const e = new MrcEstimator({ now: () => now });
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 50; i++) access(e, 'user', `user:${i}`, 20, 0, now++);
      access(e, 'sheet', 'sheet:1', 10, 0, now++);
    }
    const [user, sheet] = e.curves();
    expect(user?.pattern).toBe('user');
    expect(user?.curve.entries.find((p) => p.size === 32)?.hitRatio).toBe(0);
    expect(user?.curve.entries.find((p) => p.size === 64)?.hitRatio).toBe(0.9);
    expect(user?.workingSet).toEqual({ entries: 50, bytes: 1000 });
    expect(user?.atSizes.entries).toEqual(
      [100, 1_000, 10_000, 100_000].map((size) => ({ size, hitRatio: 0.9 })),
    );
    expect(sheet?.atSizes.entries[0]).toEqual({ size: 100, hitRatio: 0.9 });
    expect(sheet?.samplingRate).toBe(1);
  });

  it('expires TTLs at read time with the injected clock', () => {
    let now = 0;
    const e = new MrcEstimator({ now: () => now });
    access(e, 'rows', 'rows:1', 100, 1_000, 0);
    expect(e.estimates()[0]?.workingSet.bytes).toBe(100);
    now = 1_000;
    expect(e.estimates()[0]?.workingSet.bytes).toBe(0);
  });

  it('folds patterns past maxPatterns into "other" and bounds total memory', () => {
    const maxBytesPerPattern = 64 * 1024;
    const e = new MrcEstimator({ maxPatterns: 3, maxBytesPerPattern, now: () => 0 });
    for (let p = 0; p < 20; p++) {
      for (let i = 0; i < 20_000; i++) access(e, `p${p}`, `p${p}:${i}`, 100, 0, 0);
    }
    expect(e.estimates().map((x) => x.pattern)).toEqual(['p0', 'p1', 'p2', OTHER_PATTERN]);
    expect(e.memoryBytes()).toBeLessThanOrEqual(4 * maxBytesPerPattern);
    expect(() => new MrcEstimator({ maxBytesPerPattern: 100 })).toThrow(/too small/);
  });
});

describe('registerEstimatorGauges', () => {
  it('exports the four gauges with the contract names, computed at scrape time, beside createMetrics', async () => {
    let now = 0;
    const registry = new Registry();
    createMetrics(registry, { defaultMetrics: false });
    const e = new MrcEstimator({ now: () => now, sizesEntries: [10, 100], sizesBytes: [1_024] });
    registerEstimatorGauges(registry, e);
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 20; i++) access(e, 'sheet', `sheet:${i}`, 40, 0, now++);
    }
    const text = await registry.metrics();
    expect(
      sampleValue(text, METRICS.estimatedHitRatio.name, 'key_pattern="sheet",size_entries="10"'),
    ).toBe(0);
    expect(
      sampleValue(text, METRICS.estimatedHitRatio.name, 'key_pattern="sheet",size_entries="100"'),
    ).toBe(0.75);
    expect(
      sampleValue(
        text,
        METRICS.estimatedHitRatioBytes.name,
        'key_pattern="sheet",size_bytes="1024"',
      ),
    ).toBe(0.75);
    expect(sampleValue(text, METRICS.estimatedWorkingSetBytes.name, 'key_pattern="sheet"')).toBe(
      800,
    );
    expect(sampleValue(text, METRICS.estimatorSamplingRate.name, 'key_pattern="sheet"')).toBe(1);
    // A second scrape after more traffic shows new values (nothing is cached across scrapes).
    for (let i = 20; i < 40; i++) access(e, 'sheet', `sheet:${i}`, 40, 0, now++);
    const again = await registry.metrics();
    expect(sampleValue(again, METRICS.estimatedWorkingSetBytes.name, 'key_pattern="sheet"')).toBe(
      1_600,
    );
    expect(
      sampleValue(again, METRICS.estimatedHitRatio.name, 'key_pattern="sheet",size_entries="100"'),
    ).toBe(0.6);
  });
});
