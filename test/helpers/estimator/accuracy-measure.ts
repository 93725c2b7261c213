import { ShardsMrc, type ShardsOptions } from '../../../service/estimator/shards.ts';
import { replay, type Trace } from '../../../service/estimator/synthetic-traces.ts';
import { ExactLru } from './exact-lru.ts';

/** Accesses per trace. */
export const ACCESSES = 1_000_000;
const GRID = 100;
/** The bound on the mean absolute error at 1 % sampling. */
export const BOUND = 0.02;

/**
 * Replays `trace` into SHARDS (default: 1 % sampling) and into exact stack distances, and prints
 * and returns the mean absolute difference of the hit-ratio curves at 100 evenly spaced
 * cache sizes up to the trace's distinct keys (entries) and distinct bytes (bytes).
 */
export function measure(trace: Trace, options: ShardsOptions = { initialRate: 0.01 }) {
  const [first] = measureMany(trace, [options]);
  if (!first) throw new Error('unreachable: one estimator in, one result out');
  return first;
}

/** `measure` for several estimator configurations over one replay of the trace. */
export function measureMany(trace: Trace, configs: readonly ShardsOptions[]) {
  const exact = new ExactLru(2 * ACCESSES);
  const ests = configs.map((c) => new ShardsMrc(c));
  replay(trace, exact, ...ests);
  const distinct = new Set(trace.keys);
  let distinctBytes = 0;
  for (const k of distinct) distinctBytes += trace.sizes[k] ?? 0;
  const end = ACCESSES * trace.stepMs;
  return ests.map((est) => {
    let maeEntries = 0;
    let maeBytes = 0;
    for (let i = 1; i <= GRID; i++) {
      const c = (i * distinct.size) / GRID;
      const b = (i * distinctBytes) / GRID;
      maeEntries +=
        Math.abs((est.hitRatioAtEntries(c) ?? Number.NaN) - exact.hitRatioAtEntries(c)) / GRID;
      maeBytes +=
        Math.abs((est.hitRatioAtBytes(b) ?? Number.NaN) - exact.hitRatioAtBytes(b)) / GRID;
    }
    const wsErr = Math.abs(est.workingSet(end).bytes / exact.workingSet(end).bytes - 1);
    console.log(
      `${trace.name}: MAE entries ${maeEntries.toFixed(4)}, bytes ${maeBytes.toFixed(4)}; ` +
        `working-set bytes error ${(100 * wsErr).toFixed(1)} %; rate ${est.rate.toFixed(4)}, ` +
        `${est.trackedKeys} keys tracked, ${est.memoryBytes()} B; exact HR at 10 % of keys ` +
        `${exact.hitRatioAtEntries(distinct.size / 10).toFixed(3)}`,
    );
    return { maeEntries, maeBytes, est };
  });
}
