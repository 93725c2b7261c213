import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { METRICS, OTHER_PATTERN } from '../metrics/names.ts';
import { createMetrics } from '../metrics/registry.ts';
import { CURVE_SIZES_BYTES, MrcEstimator } from './estimator.ts';
import { registerEstimatorGauges } from './metrics.ts';
import { dictBucketBytes, entryBytes } from './redis-memory.ts';

const LAYOUT = { keyPrefix: 'metasheet:development:' };
/** Redis bytes of one untagged entry, as the model sizes it. */
const redisBytes = (key: string, json: number) => {
  const b = entryBytes(LAYOUT, key, json, []);
  return b.value + b.tagMembers + b.tagSets;
};
const sumOf = (keys: string[], json: number) => keys.reduce((s, k) => s + redisBytes(k, json), 0);
const keysOf = (pattern: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `${pattern}:${from + i}`);

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
  const head = labels === '' ? `${metric} ` : `${metric}{${labels}}`;
  const line = text.split('\n').find((l) => l.startsWith(head));
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
    expect(user?.workingSet).toEqual({
      entries: 50,
      bytes: sumOf(keysOf('user', 0, 50), 20),
      sharedBytes: 0,
    });
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
    expect(e.estimates()[0]?.workingSet.bytes).toBe(redisBytes('rows:1', 100));
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
    const twenty = sumOf(keysOf('sheet', 0, 20), 40);
    // Room for the 20 keys (histogram buckets are ~2 % wide).
    const roomy = Math.ceil(twenty * 1.05);
    const e = new MrcEstimator({ now: () => now, sizesEntries: [10, 100], sizesBytes: [roomy] });
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
        `key_pattern="sheet",size_bytes="${roomy}"`,
      ),
    ).toBe(0.75);
    expect(sampleValue(text, METRICS.estimatedWorkingSetBytes.name, 'key_pattern="sheet"')).toBe(
      twenty,
    );
    expect(sampleValue(text, METRICS.estimatorSamplingRate.name, 'key_pattern="sheet"')).toBe(1);
    // A second scrape after more traffic shows new values (nothing is cached across scrapes).
    for (let i = 20; i < 40; i++) access(e, 'sheet', `sheet:${i}`, 40, 0, now++);
    const again = await registry.metrics();
    expect(sampleValue(again, METRICS.estimatedWorkingSetBytes.name, 'key_pattern="sheet"')).toBe(
      sumOf(keysOf('sheet', 0, 40), 40),
    );
    expect(
      sampleValue(again, METRICS.estimatedHitRatio.name, 'key_pattern="sheet",size_entries="100"'),
    ).toBe(0.6);
  });
});

describe('MrcEstimator models the shared Redis cache', () => {
  it('tag invalidation removes exactly the tagged keys of every pattern from the model', () => {
    const e = new MrcEstimator({ now: () => 0 });
    e.onSet('rows', 'rows:1', 100, 0, 0, ['sheet:1']);
    e.onSet('formula', 'formula:1', 50, 0, 0, ['sheet:1']);
    e.onSet('rows', 'rows:2', 100, 0, 0, ['sheet:2']);
    e.onInvalidateTag('sheet:1', 1);
    e.onGet('rows', 'rows:1', 2);
    e.onGet('formula', 'formula:1', 3);
    e.onGet('rows', 'rows:2', 4);
    const by = new Map(e.estimates().map((x) => [x.pattern, x]));
    expect(by.get('rows')?.cumulative.hits.at(-1)).toBe(1); // rows:2 only
    expect(by.get('formula')?.cumulative.hits.at(-1)).toBe(0);
    expect(by.get('rows')?.workingSet.entries).toBe(1);
  });

  it('sizes entries in Redis bytes with their tag sets, and reports the shared tag-set part', () => {
    const e = new MrcEstimator({ now: () => 0, redisLayout: LAYOUT });
    e.onSet('user', 'user:7', 68, 0, 0, ['user:7']);
    const b = entryBytes(LAYOUT, 'user:7', 68, ['user:7']);
    const [user] = e.estimates();
    expect(user?.workingSet.bytes).toBe(b.value + b.tagMembers + b.tagSets);
    expect(user?.workingSet.sharedBytes).toBe(b.tagSets);
    expect(user?.tagPattern).toBe('user');
    // The measured ~440 B of used_memory for one such entry, not the 68 B of its JSON.
    expect(b.value + b.tagMembers + b.tagSets + dictBucketBytes(2) / 2).toBeGreaterThan(400);
  });

  it('ttlScale stretches TTLs: N replicas sharing one Redis keep a key N times longer in the model', () => {
    const one = new MrcEstimator({ now: () => 0 });
    const two = new MrcEstimator({ now: () => 0, ttlScale: 2, sharedReplicas: 2 });
    for (const e of [one, two]) {
      e.onGet('user', 'user:1', 0);
      e.onSet('user', 'user:1', 10, 1_000, 0);
      e.onGet('user', 'user:1', 1_500);
    }
    expect(one.estimates()[0]?.cumulative.hits.at(-1)).toBe(0);
    expect(two.estimates()[0]?.cumulative.hits.at(-1)).toBe(1);
    expect(two.sharedReplicas).toBe(2);
  });

  it('exports cumulative counters whose window differences give the curve of that window', async () => {
    let now = 0;
    const registry = new Registry();
    const e = new MrcEstimator({ now: () => now });
    registerEstimatorGauges(registry, e);
    const read = async () => {
      const text = await registry.metrics();
      const hits = CURVE_SIZES_BYTES.map(
        (s) =>
          sampleValue(text, METRICS.estimatedHits.name, `key_pattern="user",size_bytes="${s}"`) ??
          Number.NaN,
      );
      return {
        gets: sampleValue(text, METRICS.estimatedGets.name, 'key_pattern="user"') ?? 0,
        hits,
      };
    };
    for (let i = 0; i < 200; i++) access(e, 'user', `user:${i % 10}`, 10, 0, now++);
    const a = await read();
    for (let i = 0; i < 200; i++) access(e, 'user', `user:${i % 400}`, 10, 0, now++);
    const b = await read();
    expect(a.gets).toBe(200);
    expect(a.hits.at(-1)).toBe(190); // 10 cold misses
    expect(b.gets - a.gets).toBe(200);
    // The second window: keys 0..9 hit once each, keys 10..199 are cold.
    expect((b.hits.at(-1) ?? 0) - (a.hits.at(-1) ?? 0)).toBe(10);
    for (let i = 1; i < b.hits.length; i++) {
      expect(b.hits[i]).toBeGreaterThanOrEqual(b.hits[i - 1] ?? 0); // cumulative in size
      expect(b.hits[i]).toBeGreaterThanOrEqual(a.hits[i] ?? 0); // and in time
    }
    expect(sampleValue(await registry.metrics(), METRICS.estimatorSharedReplicas.name, '')).toBe(1);
  });
});
