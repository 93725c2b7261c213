import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import type { Cache } from '../service/cache/cache.ts';
import { InstrumentedCache } from '../service/cache/instrumented.ts';
import { KeyPatternExtractor } from '../service/cache/key-pattern.ts';
import { MemoryCache } from '../service/cache/memory-cache.ts';
import { NullCache } from '../service/cache/null-cache.ts';
import { CacheStats } from '../service/cache/stats.ts';
import { MrcEstimator } from '../service/estimator/estimator.ts';
import { registerEstimatorGauges } from '../service/estimator/metrics.ts';
import { zipfTrace } from '../service/estimator/synthetic-traces.ts';
import { createMetrics } from '../service/metrics/registry.ts';
import { median } from './bench/measure.ts';

/** Options of `benchEstimator`. */
export interface EstimatorBenchOptions {
  /** Read-through accesses (get, and set on a miss) per measurement. @default 100000 */
  readonly accesses?: number;
  /** Distinct keys of the Zipf(1.0) trace, over 6 patterns. @default 200000 */
  readonly universe?: number;
  /** Rounds; each figure is the median over rounds, with and without interleaved. @default 7 */
  readonly rounds?: number;
}

/** Nanoseconds per access, without and with the estimator, per implementation. */
export interface EstimatorBenchRow {
  readonly impl: string;
  /** Estimator configuration: `rate 1` (the default, lowered per pattern to fit 1 MiB) or `rate 0.01`. */
  readonly estimator: string;
  readonly withoutNs: number;
  readonly withNs: number;
  readonly ratio: number;
}

const PATTERNS = ['sheet', 'rows', 'formula', 'comments', 'user', 'perm'];
function instrumented(inner: Cache, observer: MrcEstimator | undefined): InstrumentedCache {
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  if (observer) registerEstimatorGauges(metrics.registry, observer);
  const deps = {
    metrics,
    patterns: new KeyPatternExtractor({ known: PATTERNS }),
    stats: new CacheStats(),
  };
  return new InstrumentedCache(inner, observer ? { ...deps, observer } : deps);
}

/** One read-through pass over `keys`; returns ns per access. */
async function pass(cache: InstrumentedCache, keys: readonly string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (const key of keys) {
    const r = await cache.get(key);
    if (r.ok && r.value === undefined)
      // One owner tag per entry, as the example API writes them (the tag-set model's cost).
      await cache.set(
        key,
        { id: key, cells: 'x'.repeat(64) },
        { ttlMs: 300_000, tags: [`owner:${key.slice(key.indexOf(':') + 1)}`] },
      );
  }
  return Number(process.hrtime.bigint() - t0) / keys.length;
}

/**
 * Per-access cost of the instrumented cache with and without the estimator as its
 * observer (default options: rate 1, lowered per pattern to stay within 1 MiB), on the
 * same Zipf trace, in the same process, rounds interleaved so drift hits both alike.
 */
export async function benchEstimator(
  opts: EstimatorBenchOptions = {},
): Promise<EstimatorBenchRow[]> {
  const accesses = opts.accesses ?? 100_000;
  const trace = zipfTrace(1.0, { accesses, universe: opts.universe ?? 200_000, seed: 42 });
  const keys = Array.from(trace.keys, (k) => `${PATTERNS[k % PATTERNS.length]}:${k}`);
  const rows: EstimatorBenchRow[] = [];
  const configs = [
    ['rate 1', {}],
    ['rate 0.01', { initialRate: 0.01 }],
  ] as const;
  for (const [impl, make] of [
    ['null', () => new NullCache()],
    ['memory', () => new MemoryCache({ maxEntries: 50_000 })],
  ] as const) {
    for (const [estimator, estOpts] of configs) {
      const without: number[] = [];
      const withEst: number[] = [];
      await pass(instrumented(make(), undefined), keys.slice(0, 20_000)); // warm-up (JIT)
      await pass(instrumented(make(), new MrcEstimator(estOpts)), keys.slice(0, 20_000));
      for (let r = 0; r < (opts.rounds ?? 7); r++) {
        without.push(await pass(instrumented(make(), undefined), keys));
        withEst.push(await pass(instrumented(make(), new MrcEstimator(estOpts)), keys));
      }
      const w = median(without);
      const e = median(withEst);
      rows.push({ impl, estimator, withoutNs: w, withNs: e, ratio: e / w });
    }
  }
  return rows;
}

/** The table `make bench` prints. */
export function formatEstimatorBench(rows: readonly EstimatorBenchRow[]): string {
  return rows
    .map(
      (r) =>
        `${r.impl.padEnd(7)} read-through access: ${r.withoutNs.toFixed(0)} ns without estimator, ` +
        `${r.withNs.toFixed(0)} ns with (${r.estimator}) = ${r.ratio.toFixed(2)} x ` +
        `(+${(r.withNs - r.withoutNs).toFixed(0)} ns)`,
    )
    .join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(
    'bench-estimator: Zipf 1.0, 100k accesses over 200k keys in 6 patterns (medians of 7 interleaved rounds, same run)',
  );
  console.log(formatEstimatorBench(await benchEstimator()));
}
