import { Gauge, type Registry } from 'prom-client';
import { METRICS } from '../metrics/names.ts';
import type { MrcEstimator, PatternEstimate } from './estimator.ts';

/**
 * Registers the estimator's gauges on `registry`. Values are computed in `collect()`, at
 * scrape time, never per access: `cache_estimated_hit_ratio{key_pattern,size_entries}`,
 * `cache_estimated_hit_ratio_by_bytes{key_pattern,size_bytes}`,
 * `cache_estimated_working_set_bytes{key_pattern}`, `cache_estimator_sampling_rate{key_pattern}`.
 * One scrape computes the estimates once and shares them between the four gauges.
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
  const hr = METRICS.estimatedHitRatio;
  new Gauge({
    name: hr.name,
    help: hr.help,
    labelNames: hr.labels,
    registers,
    collect() {
      this.reset();
      for (const e of snapshot()) {
        for (const p of e.atSizes.entries) {
          this.set({ key_pattern: e.pattern, size_entries: String(p.size) }, p.hitRatio);
        }
      }
    },
  });
  const hrb = METRICS.estimatedHitRatioBytes;
  new Gauge({
    name: hrb.name,
    help: hrb.help,
    labelNames: hrb.labels,
    registers,
    collect() {
      this.reset();
      for (const e of snapshot()) {
        for (const p of e.atSizes.bytes) {
          this.set({ key_pattern: e.pattern, size_bytes: String(p.size) }, p.hitRatio);
        }
      }
    },
  });
  const ws = METRICS.estimatedWorkingSetBytes;
  new Gauge({
    name: ws.name,
    help: ws.help,
    labelNames: ws.labels,
    registers,
    collect() {
      this.reset();
      for (const e of snapshot())
        this.set({ key_pattern: e.pattern }, Math.round(e.workingSet.bytes));
    },
  });
  const sr = METRICS.estimatorSamplingRate;
  new Gauge({
    name: sr.name,
    help: sr.help,
    labelNames: sr.labels,
    registers,
    collect() {
      this.reset();
      for (const e of snapshot()) this.set({ key_pattern: e.pattern }, e.samplingRate);
    },
  });
}
