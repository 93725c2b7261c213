import type { Registry } from 'prom-client';

/** One sample of a metric as read back from a registry. */
export interface Sample {
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

/**
 * Every sample of `name` in `registry` (test helper; reads through the public API). For a
 * histogram pass the sample name, e.g. `http_request_duration_seconds_count`.
 */
export async function samples(registry: Registry, name: string): Promise<Sample[]> {
  // Histogram samples are named <base>_bucket / _count / _sum.
  const base = registry.getSingleMetric(name) ? name : name.replace(/_(bucket|count|sum)$/, '');
  const metric = registry.getSingleMetric(base);
  if (!metric) throw new Error(`metric ${name} is not registered`);
  const { values } = await metric.get();
  return values
    .filter((v) => !('metricName' in v) || v.metricName === name)
    .map((v) => ({ labels: { ...v.labels } as Record<string, string | number>, value: v.value }));
}

/** The value of `name` with exactly `labels`, or 0 when that series does not exist. */
export async function seriesValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const want = JSON.stringify(Object.entries(labels).sort());
  const hit = (await samples(registry, name)).find(
    (s) =>
      JSON.stringify(
        Object.entries(s.labels)
          .map(([k, v]) => [k, String(v)])
          .sort(),
      ) === want,
  );
  return hit?.value ?? 0;
}
