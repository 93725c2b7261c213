import { Counter, Gauge, type Registry } from 'prom-client';
import { METRICS } from '../metrics/names.ts';
import {
  CURVE_SIZES_BYTES,
  type MrcEstimator,
  type PatternEstimate,
  type TagSetEstimate,
} from './estimator.ts';

/**
 * Registers the estimator's metrics on `registry`. Values are computed in `collect()`, at
 * scrape time, never per access. One scrape computes the estimates once and shares them:
 * - gauges since start: `cache_estimated_hit_ratio{key_pattern,size_entries}`,
 *   `cache_estimated_hit_ratio_by_bytes{key_pattern,size_bytes}`, working set bytes and
 *   entries, tag-set bytes, sampling rate, assumed replicas;
 * - counters for any window: `cache_estimated_gets_total{key_pattern}` and
 *   `cache_estimated_hits_total{key_pattern,size_bytes}` at `CURVE_SIZES_BYTES`, so
 *   `increase()` over a window gives the curve of that window, summed across pods.
 */
export function registerEstimatorGauges(registry: Registry, estimator: MrcEstimator): void {
  let cached: PatternEstimate[] | undefined;
  // prom-client calls every collect() synchronously within one scrape: compute once, and
  // forget it at the next microtask so the next scrape sees fresh values.
  const snapshot = (): PatternEstimate[] => {
    if (cached) return cached;
    const value = estimator.estimates();
    cached = value;
    queueMicrotask(() => {
      cached = undefined;
    });
    return value;
  };
  const registers = [registry];
  /** A gauge refilled at each scrape from `rows()` (the pattern estimates by default). */
  const gaugeOf = <T>(
    m: { name: string; help: string; labels: readonly string[] },
    rows: () => readonly T[],
    fill: (g: Gauge, row: T) => void,
  ) =>
    new Gauge({
      name: m.name,
      help: m.help,
      labelNames: m.labels,
      registers,
      collect() {
        this.reset();
        for (const row of rows()) fill(this, row);
      },
    });
  const gauge = (
    m: { name: string; help: string; labels: readonly string[] },
    fill: (g: Gauge, e: PatternEstimate) => void,
  ) => gaugeOf(m, snapshot, fill);
  gauge(METRICS.estimatedHitRatio, (g, e) => {
    for (const p of e.atSizes.entries) {
      g.set({ key_pattern: e.pattern, size_entries: String(p.size) }, p.hitRatio);
    }
  });
  gauge(METRICS.estimatedHitRatioBytes, (g, e) => {
    for (const p of e.atSizes.bytes) {
      g.set({ key_pattern: e.pattern, size_bytes: String(p.size) }, p.hitRatio);
    }
  });
  gauge(METRICS.estimatedWorkingSetBytes, (g, e) =>
    g.set({ key_pattern: e.pattern }, Math.round(e.workingSet.bytes)),
  );
  gauge(METRICS.estimatedWorkingSetEntries, (g, e) =>
    g.set({ key_pattern: e.pattern }, Math.round(e.workingSet.entries)),
  );
  gauge(METRICS.estimatedTagSetBytes, (g, e) => {
    if (e.tagPattern !== null) {
      g.set(
        { key_pattern: e.pattern, tag_pattern: e.tagPattern },
        Math.round(e.workingSet.sharedBytes),
      );
    }
  });
  const tagSets = (): TagSetEstimate[] => estimator.tagSetEstimates();
  gaugeOf(METRICS.estimatedTagSets, tagSets, (g, t) =>
    g.set({ tag_pattern: t.tagPattern }, Math.round(t.entries)),
  );
  gaugeOf(METRICS.estimatedTagSetsBytes, tagSets, (g, t) =>
    g.set({ tag_pattern: t.tagPattern }, Math.round(t.bytes)),
  );
  gauge(METRICS.estimatorSamplingRate, (g, e) => g.set({ key_pattern: e.pattern }, e.samplingRate));
  const sr = METRICS.estimatorSharedReplicas;
  new Gauge({ name: sr.name, help: sr.help, registers }).set(estimator.sharedReplicas);

  // Counters must never go down: float rounding across a sampling-rate drop could shave an
  // ulp, which Prometheus would read as a reset. Export the running maximum.
  const last = new Map<string, number>();
  const monotonic = (id: string, value: number): number => {
    const v = Math.max(last.get(id) ?? 0, value);
    last.set(id, v);
    return v;
  };
  const sizeLabels = CURVE_SIZES_BYTES.map(String);
  const eg = METRICS.estimatedGets;
  new Counter({
    name: eg.name,
    help: eg.help,
    labelNames: eg.labels,
    registers,
    collect() {
      this.reset();
      for (const e of snapshot()) {
        this.inc({ key_pattern: e.pattern }, monotonic(e.pattern, e.cumulative.gets));
      }
    },
  });
  const eh = METRICS.estimatedHits;
  new Counter({
    name: eh.name,
    help: eh.help,
    labelNames: eh.labels,
    registers,
    collect() {
      this.reset();
      for (const e of snapshot()) {
        e.cumulative.hits.forEach((h, i) => {
          const size = sizeLabels[i] ?? '';
          this.inc(
            { key_pattern: e.pattern, size_bytes: size },
            monotonic(`${e.pattern} ${size}`, h),
          );
        });
      }
    },
  });
}
