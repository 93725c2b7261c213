import { Gauge, type Registry } from 'prom-client';
import { METRICS } from '../metrics/names.ts';
import {
  type EmitSeries,
  LabelInterner,
  ScrapeFamily,
  type SeriesLabels,
} from '../metrics/scrape-family.ts';
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
  // The registry collects every family synchronously within one scrape: compute once, and
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
  /** A family recomputed at each scrape from `rows()`; label objects interned across scrapes. */
  const familyOf = <T, L extends string>(
    m: { name: string; help: string; labels: readonly L[] },
    type: 'gauge' | 'counter',
    rows: () => readonly T[],
    fill: (emit: EmitSeries<L>, labels: LabelInterner<L>, row: T) => void,
  ) => {
    const labels = new LabelInterner(m.labels);
    return new ScrapeFamily<L>({
      name: m.name,
      help: m.help,
      labelNames: m.labels,
      type,
      registry,
      collect(emit) {
        for (const row of rows()) fill(emit, labels, row);
      },
    });
  };
  const gauge = <L extends string>(
    m: { name: string; help: string; labels: readonly L[] },
    fill: (emit: EmitSeries<L>, labels: LabelInterner<L>, e: PatternEstimate) => void,
  ) => familyOf(m, 'gauge', snapshot, fill);
  gauge(METRICS.estimatedHitRatio, (emit, labels, e) => {
    for (const p of e.atSizes.entries) emit(labels.of(e.pattern, String(p.size)), p.hitRatio);
  });
  gauge(METRICS.estimatedHitRatioBytes, (emit, labels, e) => {
    for (const p of e.atSizes.bytes) emit(labels.of(e.pattern, String(p.size)), p.hitRatio);
  });
  gauge(METRICS.estimatedWorkingSetBytes, (emit, labels, e) =>
    emit(labels.of(e.pattern), Math.round(e.workingSet.bytes)),
  );
  gauge(METRICS.estimatedWorkingSetEntries, (emit, labels, e) =>
    emit(labels.of(e.pattern), Math.round(e.workingSet.entries)),
  );
  gauge(METRICS.estimatedTagSetBytes, (emit, labels, e) => {
    if (e.tagPattern !== null) {
      emit(labels.of(e.pattern, e.tagPattern), Math.round(e.workingSet.sharedBytes));
    }
  });
  const tagSets = (): TagSetEstimate[] => estimator.tagSetEstimates();
  familyOf(METRICS.estimatedTagSets, 'gauge', tagSets, (emit, labels, t) =>
    emit(labels.of(t.tagPattern), Math.round(t.entries)),
  );
  familyOf(METRICS.estimatedTagSetsBytes, 'gauge', tagSets, (emit, labels, t) =>
    emit(labels.of(t.tagPattern), Math.round(t.bytes)),
  );
  gauge(METRICS.estimatorSamplingRate, (emit, labels, e) =>
    emit(labels.of(e.pattern), e.samplingRate),
  );
  const sr = METRICS.estimatorSharedReplicas;
  new Gauge({ name: sr.name, help: sr.help, registers: [registry] }).set(estimator.sharedReplicas);

  // Counters must never go down: float rounding across a sampling-rate drop could shave an
  // ulp, which Prometheus would read as a reset. Export the running maximum.
  const lastGets = new Map<string, number>();
  familyOf(METRICS.estimatedGets, 'counter', snapshot, (emit, labels, e) => {
    const v = Math.max(lastGets.get(e.pattern) ?? 0, e.cumulative.gets);
    lastGets.set(e.pattern, v);
    emit(labels.of(e.pattern), v);
  });
  const sizeLabels = CURVE_SIZES_BYTES.map(String);
  /** Per pattern: the label object and the running maximum of each curve size. */
  const hitSeries = new Map<string, { labels: SeriesLabels<string>[]; last: Float64Array }>();
  familyOf(METRICS.estimatedHits, 'counter', snapshot, (emit, interner, e) => {
    let s = hitSeries.get(e.pattern);
    if (s === undefined) {
      s = {
        labels: sizeLabels.map((size) => interner.of(e.pattern, size)),
        last: new Float64Array(sizeLabels.length),
      };
      hitSeries.set(e.pattern, s);
    }
    const hits = e.cumulative.hits;
    for (let i = 0; i < hits.length && i < s.labels.length; i++) {
      const v = Math.max(s.last[i] ?? 0, hits[i] ?? 0);
      s.last[i] = v;
      emit(s.labels[i] as SeriesLabels<string>, v);
    }
  });
}
