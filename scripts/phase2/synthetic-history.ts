import { API_ROUTES } from '../../service/api/routes-table.ts';
import { HTTP_BUCKETS, METRICS, OTHER_PATTERN } from '../../service/metrics/names.ts';

/** Traffic of one key pattern in the synthetic history. */
export interface PatternTraffic {
  readonly pattern: string;
  readonly accessesPerMin: number;
  /** Estimated hit ratio at each of `sizesBytes`. */
  readonly hitRatios: readonly number[];
  readonly workingSetBytes: number;
  /** Latency of every request of the pattern's routes (all fall into one histogram bucket). */
  readonly latencySeconds: number;
}

/** Options of `syntheticHistory`. */
export interface HistoryOptions {
  readonly end: number;
  readonly days: number;
  readonly intervalSeconds: number;
  readonly patterns: readonly PatternTraffic[];
  readonly sizesBytes: readonly number[];
  /** Stretches (unix seconds, [from, to)) with no samples at all: a scrape outage. */
  readonly gaps?: ReadonlyArray<readonly [number, number]>;
  /** A pod restart (counters restart from 0) at this time. */
  readonly restartAt?: number;
}

/**
 * Several days of what Prometheus would have scraped from the service under steady
 * load, as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`: access
 * counters, estimator gauges and the latency histogram, named from `METRICS`. Families
 * are typed `gauge` (backfill ignores types; `rate()` works on the counters regardless).
 */
export function syntheticHistory(o: HistoryOptions): string {
  const start = o.end - o.days * 86_400;
  const times: number[] = [];
  for (let t = start; t <= o.end; t += o.intervalSeconds) {
    if (!(o.gaps ?? []).some(([a, b]) => t >= a && t < b)) times.push(t);
  }
  const elapsed = (t: number) =>
    o.restartAt !== undefined && t >= o.restartAt ? t - o.restartAt : t - start;
  const lines: string[] = [];
  const family = (name: string, series: Array<[string, (t: number) => number]>) => {
    lines.push(`# TYPE ${name} gauge`);
    for (const [labels, value] of series) {
      const all = `${labels},${TARGET}`;
      for (const t of times) lines.push(`${name}{${all}} ${round(value(t))} ${t}`);
    }
  };
  const pl = (p: string) => `key_pattern="${p}"`;
  family(METRICS.cacheEnabled.name, [['impl="null"', () => 1]]);
  family(
    METRICS.cacheMisses.name,
    o.patterns.map((p) => [
      `impl="null",${pl(p.pattern)}`,
      (t) => (p.accessesPerMin * elapsed(t)) / 60,
    ]),
  );
  family(
    METRICS.estimatedHitRatioBytes.name,
    o.patterns.flatMap((p) =>
      o.sizesBytes.map((s, i): [string, (t: number) => number] => [
        `${pl(p.pattern)},size_bytes="${s}"`,
        () => p.hitRatios[i] ?? 0,
      ]),
    ),
  );
  family(
    METRICS.estimatedWorkingSetBytes.name,
    o.patterns.map((p) => [pl(p.pattern), () => p.workingSetBytes]),
  );
  family(
    METRICS.estimatorSamplingRate.name,
    o.patterns.map((p) => [pl(p.pattern), () => 0.01]),
  );
  const routes = API_ROUTES.filter((r) => r.method === 'GET');
  const traffic = (pattern: string) => o.patterns.find((p) => p.pattern === pattern);
  const base = (route: string) => `route="${route}",method="GET",status_class="2xx",variant="off"`;
  const requests = (route: (typeof routes)[number], t: number) =>
    ((traffic(route.keyPattern)?.accessesPerMin ?? 0) * elapsed(t)) / 60;
  const h = METRICS.httpDuration.name;
  family(
    `${h}_bucket`,
    routes.flatMap((r) =>
      [...HTTP_BUCKETS.map(String), '+Inf'].map((le): [string, (t: number) => number] => [
        `${base(r.route)},le="${le}"`,
        (t) => ((traffic(r.keyPattern)?.latencySeconds ?? 0) <= Number(le) ? requests(r, t) : 0),
      ]),
    ),
  );
  family(
    `${h}_sum`,
    routes.map((r) => [
      base(r.route),
      (t) => requests(r, t) * (traffic(r.keyPattern)?.latencySeconds ?? 0),
    ]),
  );
  family(
    `${h}_count`,
    routes.map((r) => [base(r.route), (t) => requests(r, t)]),
  );
  lines.push('# EOF', '');
  return lines.join('\n');
}

/** The target labels Prometheus would add in staging. */
const TARGET = 'namespace="staging",job="metasheet-cache"';

function round(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(6);
}

/** The history the end-to-end test uses: 5 patterns that qualify, `perm` (cold) and `other` that do not. */
export const DEMO_PATTERNS: readonly PatternTraffic[] = [
  {
    pattern: 'rows',
    accessesPerMin: 600,
    hitRatios: [0.55, 0.8, 0.81],
    workingSetBytes: 40 * 1_048_576,
    latencySeconds: 0.65,
  },
  {
    pattern: 'formula',
    accessesPerMin: 300,
    hitRatios: [0.3, 0.6, 0.7],
    workingSetBytes: 200 * 1_048_576,
    latencySeconds: 0.8,
  },
  {
    pattern: 'sheet',
    accessesPerMin: 1_200,
    hitRatios: [0.7, 0.9, 0.9],
    workingSetBytes: 10 * 1_048_576,
    latencySeconds: 0.04,
  },
  {
    pattern: 'comments',
    accessesPerMin: 150,
    hitRatios: [0.5, 0.6, 0.6],
    workingSetBytes: 5 * 1_048_576,
    latencySeconds: 0.12,
  },
  {
    pattern: 'user',
    accessesPerMin: 800,
    hitRatios: [0.85, 0.95, 0.95],
    workingSetBytes: 2 * 1_048_576,
    latencySeconds: 0.015,
  },
  {
    pattern: 'perm',
    accessesPerMin: 50,
    hitRatios: [0.9, 0.9, 0.9],
    workingSetBytes: 1_048_576,
    latencySeconds: 0.06,
  },
  {
    pattern: OTHER_PATTERN,
    accessesPerMin: 20,
    hitRatios: [0.1, 0.1, 0.1],
    workingSetBytes: 100_000,
    latencySeconds: 0,
  },
];
