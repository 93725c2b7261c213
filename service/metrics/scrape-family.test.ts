import { Counter, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MrcEstimator } from '../estimator/estimator.ts';
import { registerEstimatorGauges } from '../estimator/metrics.ts';
import { seededRandom } from '../estimator/synthetic-traces.ts';
import { createMetrics } from './registry.ts';
import { LabelInterner, ScrapeFamily, ScrapeRegistry } from './scrape-family.ts';

type Row = readonly [Record<string, string | number>, number];

/** Awkward label values and numbers: quotes, backslashes, newlines, NaN, infinities. */
const ROWS: readonly Row[] = [
  [{ a: 'plain', b: 'x' }, 1],
  [{ a: 'quo"te', b: 'back\\slash' }, 0.1 + 0.2],
  [{ a: 'new\nline', b: '' }, Number.NaN],
  [{ b: 'key order b first', a: 'y' }, Number.POSITIVE_INFINITY],
  [{ a: 7, b: 'numeric label' }, Number.NEGATIVE_INFINITY],
  [{ a: 'big', b: 'z' }, 1.5e21],
  [{ a: 'tiny', b: 'z' }, 1e-7],
];
const HELP = 'help with a back\\slash and a new\nline';

/** The same rows as a prom-client Gauge (or Counter) on a plain Registry, and as a ScrapeFamily. */
function pair(type: 'gauge' | 'counter', rows: readonly Row[], fast: Registry) {
  const plain = new Registry();
  const labelNames = ['a', 'b'];
  if (type === 'gauge') {
    const g = new Gauge({ name: 'x_metric', help: HELP, labelNames, registers: [plain] });
    for (const [labels, v] of rows) g.set(labels, v);
  } else {
    const c = new Counter({ name: 'x_total', help: HELP, labelNames, registers: [plain] });
    for (const [labels, v] of rows) c.inc(labels, v);
  }
  new ScrapeFamily({
    name: type === 'gauge' ? 'x_metric' : 'x_total',
    help: HELP,
    labelNames,
    type,
    registry: fast,
    collect(emit) {
      for (const [labels, v] of rows) emit(labels, v);
    },
  });
  return plain;
}

describe('ScrapeFamily renders what prom-client renders for the same series', () => {
  it('gauge: the same text on ScrapeRegistry and on a plain Registry, twice, and the same JSON', async () => {
    for (const fast of [new ScrapeRegistry(), new Registry()]) {
      const plain = pair('gauge', ROWS, fast);
      const expected = await plain.metrics();
      expect(await fast.metrics()).toBe(expected);
      expect(await fast.metrics()).toBe(expected); // second scrape: cached label text
      expect(await fast.getMetricsAsJSON()).toEqual(await plain.getMetricsAsJSON());
    }
  });

  it('counter: the same text and JSON (finite, non-negative values)', async () => {
    const rows = ROWS.filter(([, v]) => Number.isFinite(v) && v >= 0);
    const fast = new ScrapeRegistry();
    const plain = pair('counter', rows, fast);
    expect(await fast.metrics()).toBe(await plain.metrics());
    expect(await fast.getMetricsAsJSON()).toEqual(await plain.getMetricsAsJSON());
  });

  it('a family without series, and one without labels, next to ordinary metrics, in registration order', async () => {
    const build = (registry: Registry, fast: boolean) => {
      new Counter({ name: 'first_total', help: 'h', registers: [registry] }).inc(2);
      if (fast) {
        new ScrapeFamily({
          name: 'empty',
          help: 'h',
          labelNames: ['a'],
          type: 'gauge',
          registry,
          collect() {},
        });
        new ScrapeFamily({
          name: 'solo',
          help: 'h',
          labelNames: [],
          type: 'gauge',
          registry,
          collect: (emit) => emit({}, 3),
        });
      } else {
        new Gauge({ name: 'empty', help: 'h', labelNames: ['a'], registers: [registry] });
        new Gauge({ name: 'solo', help: 'h', registers: [registry] }).set(3);
      }
      new Gauge({ name: 'last', help: 'h', registers: [registry] }).set(4);
    };
    const plain = new Registry();
    const fast = new ScrapeRegistry();
    build(plain, false);
    build(fast, true);
    expect(await fast.metrics()).toBe(await plain.metrics());
  });

  it('a counter refuses at scrape what Counter.inc refuses: a negative value, an unknown label', async () => {
    for (const [labels, value, message] of [
      [{ a: 'x' }, -1, 'It is not possible to decrease a counter'],
      [{ c: 'x' }, 1, 'Added label "c" is not included in initial labelset'],
    ] as const) {
      for (const registry of [new ScrapeRegistry(), new Registry()]) {
        new ScrapeFamily({
          name: 'bad_total',
          help: 'h',
          labelNames: ['a'],
          type: 'counter',
          registry,
          collect: (emit) => emit(labels as Record<string, string>, value),
        });
        await expect(registry.metrics()).rejects.toThrow(message);
      }
    }
  });

  it('ScrapeRegistry with default labels renders as prom-client does (falls back to it)', async () => {
    const plain = new Registry();
    const fast = new ScrapeRegistry();
    pair('gauge', ROWS, fast);
    pair('gauge', ROWS, plain);
    plain.setDefaultLabels({ pod: 'p1' });
    fast.setDefaultLabels({ pod: 'p1' });
    const text = await fast.metrics();
    expect(text).toContain('pod="p1"');
    expect(text).toBe(await plain.metrics());
  });

  it('LabelInterner gives one frozen object per label values, keys in the declared order', () => {
    const i = new LabelInterner(['key_pattern', 'size_bytes']);
    const a = i.of('user', '1024');
    expect(i.of('user', '1024')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.keys(a)).toEqual(['key_pattern', 'size_bytes']);
    expect(i.of('user', '2048')).not.toBe(a);
    expect(new LabelInterner(['p']).of('user')).toEqual({ p: 'user' });
  });
});

describe("the service's metrics on ScrapeRegistry", () => {
  it('render the same text as on a plain Registry: cell counters and the estimator after traffic, three scrapes', async () => {
    const setup = (registry: Registry) => {
      let now = 1_000_000;
      const metrics = createMetrics(registry, { defaultMetrics: false });
      const estimator = new MrcEstimator({
        now: () => now,
        maxBytesPerPattern: 100_000,
        maxPatterns: 12,
        sizesEntries: [1000, 10, 100],
      });
      registerEstimatorGauges(registry, estimator);
      const rnd = seededRandom(11);
      const traffic = (n: number) => {
        for (let i = 0; i < n; i++) {
          const p = `p${i % 15}`;
          const k = Math.floor(5000 ** rnd());
          const key = `${p}:${k}`;
          estimator.onGet(p, key, now);
          metrics.cacheHits.inc({ impl: 'memory', key_pattern: p });
          if (rnd() < 0.4) {
            estimator.onSet(p, key, 50 + (k % 300), 20_000, now, k % 2 ? [`t${k % 3}:${k}`] : []);
            metrics.cacheSets.cell({ impl: 'memory', key_pattern: p }).value++;
          }
          if (rnd() < 0.01) estimator.onInvalidateTag(`t${k % 3}:${k}`, now);
          now += 3;
        }
      };
      return traffic;
    };
    const plain = new Registry();
    const fast = new ScrapeRegistry();
    const a = setup(plain);
    const b = setup(fast);
    for (let round = 0; round < 3; round++) {
      a(20_000);
      b(20_000);
      const expected = await plain.metrics();
      expect(expected).toContain('cache_estimated_hits_total{key_pattern="p3",size_bytes="16384"}');
      expect(await fast.metrics()).toBe(expected);
    }
  });
});
