/**
 * Days of Prometheus history derived from real scrapes of the service, as OpenMetrics text
 * for `promtool tsdb create-blocks-from openmetrics`. Every series each scrape has is
 * emitted (the service's own families and prom-client's process ones), so the history
 * cannot drift from what the service exports: counters (and histogram buckets, sums,
 * counts) grow at the rate the pod had when scraped, gauges hold their scraped value.
 */

/** One real scrape of one pod. */
export interface Scrape {
  /** The `/metrics/prom` text. */
  readonly text: string;
  /** Seconds the pod had been up when scraped (counters' rate = value / uptime). */
  readonly uptimeSeconds: number;
  /** Target labels Prometheus would add, e.g. `job="metasheet-cache",instance="10.0.0.7:8900"`. */
  readonly target: string;
}

/** Options of `historyFromScrapes`. */
export interface HistoryOptions {
  readonly end: number;
  readonly days: number;
  readonly intervalSeconds: number;
  /** Stretches (unix seconds, [from, to)) with no samples at all: a scrape outage. */
  readonly gaps?: ReadonlyArray<readonly [number, number]>;
  /** A pod restart (counters restart from 0) at this time. */
  readonly restartAt?: number;
}

interface Series {
  readonly family: string;
  readonly name: string;
  readonly labels: string;
  readonly value: number;
  readonly counter: boolean;
}

/** The samples of an exposition text with whether each behaves as a counter. */
export function parseScrape(text: string): Series[] {
  const types = new Map<string, string>();
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)/.exec(line);
    if (t) {
      types.set(t[1] ?? '', t[2] ?? '');
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const s = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!s) throw new Error(`cannot parse exposition line: ${line}`);
    const name = s[1] ?? '';
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    const type = types.get(family) ?? 'untyped';
    const value = Number(s[3]);
    if (!Number.isFinite(value)) continue;
    out.push({
      family,
      name,
      labels: s[2] ?? '',
      value,
      counter: type === 'counter' || type === 'histogram' || type === 'summary',
    });
  }
  return out;
}

/** The history of every series of every scrape (one pod each), as OpenMetrics text. */
export function historyFromScrapes(scrapes: readonly Scrape[], o: HistoryOptions): string {
  const start = o.end - o.days * 86_400;
  const times: number[] = [];
  for (let t = start; t <= o.end; t += o.intervalSeconds) {
    if (!(o.gaps ?? []).some(([a, b]) => t >= a && t < b)) times.push(t);
  }
  const elapsed = (t: number) =>
    o.restartAt !== undefined && t >= o.restartAt ? t - o.restartAt : t - start;
  // Families must be contiguous in OpenMetrics: group the series of all pods by name.
  const byName = new Map<string, string[]>();
  for (const scrape of scrapes) {
    for (const s of parseScrape(scrape.text)) {
      const labels = [s.labels, scrape.target].filter(Boolean).join(',');
      const rate = s.value / scrape.uptimeSeconds;
      const lines = byName.get(s.name) ?? [];
      for (const t of times) {
        const v = s.counter ? rate * elapsed(t) : s.value;
        lines.push(`${s.name}{${labels}} ${Number.isInteger(v) ? v : v.toFixed(6)} ${t}`);
      }
      byName.set(s.name, lines);
    }
  }
  // Backfill ignores types; every family is written as a gauge (rate() works regardless).
  const out: string[] = [];
  for (const [name, lines] of byName) {
    out.push(`# TYPE ${name} gauge`);
    for (const line of lines) out.push(line);
  }
  out.push('# EOF', '');
  return out.join('\n');
}
