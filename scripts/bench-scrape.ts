import { pathToFileURL } from 'node:url';
import { Gauge, Registry } from 'prom-client';
import { buildDeps } from '../service/build.ts';
import { loadConfig } from '../service/config.ts';
import { MrcEstimator } from '../service/estimator/estimator.ts';
import { seededRandom } from '../service/estimator/synthetic-traces.ts';
import { silentLogger } from '../service/logger.ts';
import { createMetrics } from '../service/metrics/registry.ts';
import { ScrapeFamily } from '../service/metrics/scrape-family.ts';
import { median } from './bench/measure.ts';

/** Options of `benchScrape`. */
export interface ScrapeBenchOptions {
  /** Key patterns with traffic (the service's default limit is 50). @default 50 */
  readonly patterns?: number;
  /** Read-through accesses (get, set with one tag on a miss) before scraping. @default 200000 */
  readonly accesses?: number;
  /** Distinct keys per pattern. @default 20000 */
  readonly keysPerPattern?: number;
  /** Scrapes per round; a round's figure is its median. @default 20 */
  readonly scrapesPerRound?: number;
  /** Rounds, scrape and baseline interleaved; the result is the median of rounds. @default 7 */
  readonly rounds?: number;
}

export interface ScrapeBenchResult {
  readonly patterns: number;
  /** Series in the service's exposition (samples, comment lines excluded). */
  readonly series: number;
  /** ms of one `GET /metrics/prom` worth of work: `refreshGauges()` + `registry.metrics()`. */
  readonly scrapeMs: number;
  /**
   * ms of `registry.metrics()` of the service's metrics without the estimator plus plain
   * prom-client gauges, so that it exports as many series.
   */
  readonly baselineMs: number;
  /** Of `series`, those of the estimator's families. */
  readonly estimatorSeries: number;
  /** ms of the estimator's families alone (collect, `estimates()` once, format). */
  readonly estimatorFamiliesMs: number;
  /** ms of `MrcEstimator.estimates()` alone (the curves read off the histograms). */
  readonly estimatesMs: number;
  /** ms of every other family (default process metrics, cache counters). */
  readonly otherFamiliesMs: number;
}

async function timeMs(n: number, op: () => Promise<unknown>): Promise<number> {
  const each: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op();
    each.push(performance.now() - t0);
  }
  return median(each);
}

/**
 * The same-run baseline: the service's registry without the estimator (createMetrics,
 * default metrics on) plus plain prom-client gauges, set once and without collect
 * callbacks, so it exports `series` series in all, in families of ≤ 45 like the curves.
 */
async function baselineRegistry(series: number): Promise<Registry> {
  const registry = createMetrics(new Registry()).registry;
  let missing = series - countSeries(await registry.metrics());
  for (let f = 0; missing > 0; f++) {
    const g = new Gauge({
      name: `baseline_family_${f}`,
      help: 'baseline',
      labelNames: ['key_pattern', 'size_bytes'],
      registers: [registry],
    });
    for (let i = 0; i < 45 && missing > 0; i++, missing--) {
      g.set({ key_pattern: `pat${f}`, size_bytes: String(16_384 * 2 ** i) }, Math.random());
    }
  }
  return registry;
}

const countSeries = (text: string): number =>
  text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;

/** ms of rendering the families of `names` in one go (estimates shared, as in a scrape). */
const renderFamilies = (registry: Registry, names: readonly string[]) => () =>
  Promise.all(
    names.map((n) => {
      const m = registry.getSingleMetric(n);
      return m instanceof ScrapeFamily ? m.renderProm() : registry.getSingleMetricAsString(n);
    }),
  );

/**
 * The cost of one Prometheus scrape of the service (`GET /metrics/prom`: refreshGauges +
 * registry.metrics(), estimator on, NullCache, as staging runs it) after read-through
 * traffic on `patterns` key patterns, against prom-client formatting the same number of
 * plain gauge series in the same run (rounds interleaved).
 */
export async function benchScrape(opts: ScrapeBenchOptions = {}): Promise<ScrapeBenchResult> {
  const patternCount = opts.patterns ?? 50;
  const accesses = opts.accesses ?? 200_000;
  const keysPerPattern = opts.keysPerPattern ?? 20_000;
  const config = loadConfig({
    NODE_ENV: 'test',
    SOURCE_LATENCY_SCALE: '0',
    FEATURE_CACHE: 'true',
    CACHE_IMPL: 'null',
    CACHE_KEY_PATTERN_LIMIT: String(Math.max(50, patternCount)),
  });
  const deps = buildDeps(config, silentLogger);
  const names = Array.from({ length: patternCount }, (_, i) => `pat${i}`);
  const rnd = seededRandom(7);
  // Zipf-ish over keys (1/u skew), uniform over patterns: every histogram gets wide.
  for (let i = 0; i < accesses; i++) {
    const p = names[i % patternCount] as string;
    const k = Math.floor(keysPerPattern ** rnd());
    const key = `${p}:${k}`;
    const r = await deps.cache.get(key);
    if (r.ok && r.value === undefined) {
      await deps.cache.set(
        key,
        { id: k, cells: 'x'.repeat(64 + (k % 512)) },
        { ttlMs: 600_000, tags: [`owner:${k % 1000}`] },
      );
    }
  }
  const { registry } = deps.metrics;
  const scrape = async () => {
    await deps.cache.refreshGauges();
    return registry.metrics();
  };
  const series = countSeries(await scrape());
  const baseline = await baselineRegistry(series);
  const all = registry.getMetricsAsArray().map((m) => m.name);
  const ours = all.filter((n) => n.startsWith('cache_estimat'));
  const rest = all.filter((n) => !n.startsWith('cache_estimat'));
  const perRound = opts.scrapesPerRound ?? 20;
  const runs: Record<'scrape' | 'baseline' | 'families' | 'rest' | 'estimates', number[]> = {
    scrape: [],
    baseline: [],
    families: [],
    rest: [],
    estimates: [],
  };
  await timeMs(perRound, () => baseline.metrics()); // warm-up
  await timeMs(perRound, scrape);
  const estimator = deps.estimator instanceof MrcEstimator ? deps.estimator : undefined;
  for (let r = 0; r < (opts.rounds ?? 7); r++) {
    runs.scrape.push(await timeMs(perRound, scrape));
    runs.baseline.push(await timeMs(perRound, () => baseline.metrics()));
    runs.families.push(await timeMs(perRound, renderFamilies(registry, ours)));
    runs.rest.push(await timeMs(perRound, renderFamilies(registry, rest)));
    if (estimator) runs.estimates.push(await timeMs(perRound, async () => estimator.estimates()));
  }
  await deps.cache.close();
  return {
    patterns: patternCount,
    series,
    estimatorSeries: countSeries((await renderFamilies(registry, ours)()).join('\n')),
    scrapeMs: median(runs.scrape),
    baselineMs: median(runs.baseline),
    estimatorFamiliesMs: median(runs.families),
    estimatesMs: median(runs.estimates),
    otherFamiliesMs: median(runs.rest),
  };
}

export function formatScrapeBench(r: ScrapeBenchResult): string {
  const ms = (x: number) => `${x.toFixed(2)} ms`;
  return [
    `${String(r.patterns).padStart(3)} patterns, ${r.series} series (${r.estimatorSeries} of the estimator): ` +
      `scrape ${ms(r.scrapeMs)}, baseline ${ms(r.baselineMs)} = ${(r.scrapeMs / r.baselineMs).toFixed(2)} x baseline`,
    `      estimator families ${ms(r.estimatorFamiliesMs)} (of which estimates() ${ms(r.estimatesMs)}), ` +
      `other families ${ms(r.otherFamiliesMs)}`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(
    'bench-scrape: GET /metrics/prom work (refreshGauges + registry.metrics()), estimator on, NullCache;\n' +
      'baseline: the same registry without the estimator + plain prom-client gauges up to the same series count;\n' +
      'medians of 7 interleaved rounds of 20 scrapes',
  );
  for (const patterns of [6, 50]) {
    const r = await benchScrape({ patterns });
    console.log(formatScrapeBench(r));
    if (patterns === 50) {
      console.log(`target: scrape at 50 patterns <= 5 ms: ${r.scrapeMs <= 5 ? 'MET' : 'NOT MET'}`);
    }
  }
}
