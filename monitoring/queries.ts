/**
 * PromQL building blocks shared by the recording rules, the alerts, the dashboards and the
 * Phase 2 report. Selectors come from `selectors.ts`, numbers from `config.ts`.
 */
import { PER_MINUTE } from './config.ts';
import { NAMES, sel } from './selectors.ts';

/** Range-vector functions `sumOver` applies to each counter. */
export type RangeFunction = 'rate' | 'increase' | 'count_over_time';

/**
 * `sum by (labels)` of `fn(counter[window])` over several counters, counting each one that
 * exists. `rate()` and friends drop the metric name, so `a or b` would keep only one of two
 * equal label sets and `a + b` would vanish when one counter has no series yet (NullCache
 * never hits): each term gets a distinct `counter` label before the `or`. One term per
 * line, so rule files (YAML block scalars) and their diffs stay readable.
 */
export function sumOver(
  fn: RangeFunction,
  labels: readonly string[],
  metrics: readonly string[],
  matchers: string,
  window: string,
): string {
  const tagged = metrics.map(
    (m) => `label_replace(${fn}(${sel(m, matchers)}[${window}]), "counter", "${m}", "", "")`,
  );
  return `sum by (${labels.join(', ')}) (\n    ${tagged.join('\n  or\n    ')}\n)`;
}

/** `sumOver('rate', …)`: the summed per-second rate of several counters. */
export function sumOfRates(
  labels: readonly string[],
  metrics: readonly string[],
  matchers: string,
  window: string,
): string {
  return sumOver('rate', labels, metrics, matchers, window);
}

/** `rate(selector[window])`. */
export function rate(selector: string, window: string): string {
  return `rate(${selector}[${window}])`;
}

/** `sum by (labels) (expr)`. */
export function sumBy(labels: readonly string[], expr: string): string {
  return `sum by (${labels.join(', ')}) (${expr})`;
}

/** `max by (labels) (expr)`. */
export function maxBy(labels: readonly string[], expr: string): string {
  return `max by (${labels.join(', ')}) (${expr})`;
}

/** A per-second expression as per minute (`expr * 60`), the unit thresholds are set in. */
export function perMinute(expr: string): string {
  return `${expr} * ${PER_MINUTE}`;
}

/** `histogram_quantile(q, sum by (labels, le) (rate(bucket[window])))`. */
export function quantileOf(
  q: number,
  labels: readonly string[],
  matchers: string,
  window: string,
): string {
  return `histogram_quantile(${q}, ${sumBy([...labels, 'le'], rate(sel(NAMES.httpBucket, matchers), window))})`;
}
