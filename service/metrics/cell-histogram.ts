import type { LabelValues, Metric, MetricValue, Registry } from 'prom-client';

/** One series of a `CellHistogram`: observe into it directly on a hot path. */
export interface HistogramCell {
  /** Per-bucket (non-cumulative) counts, one per upper bound, then the +Inf overflow. */
  readonly counts: number[];
  sum: number;
  count: number;
}

interface Series<L extends string> {
  readonly labels: LabelValues<L>;
  readonly cell: HistogramCell;
}

/** A sample as prom-client's registry formats it (`sharedLabels`: the series' labels). */
interface HistogramSample<L extends string> {
  readonly labels: Record<string, string | number>;
  readonly sharedLabels: LabelValues<L>;
  readonly value: number;
  readonly metricName: string;
  /** prom-client's buckets carry `exemplar: null` (no exemplars kept). */
  readonly exemplar?: null;
}

/** A histogram family as prom-client's registry reads it, with samples of type `V`. */
interface HistogramData<V> {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly values: V[];
  readonly aggregator: 'sum';
}

/**
 * A histogram whose series are cells looked up once per label set, exported in
 * prom-client's format (the same text as a prom-client `Histogram` with the same
 * observations). prom-client's `observe(labels, v)` validates and hashes the labels on
 * every call (sorting their names); on the request path that was most of the metric's
 * cost. Here `cell(labels)` is a map lookup by the joined label values and `observe` a
 * bucket scan over the (few) bounds.
 */
export class CellHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames: readonly L[];
  readonly upperBounds: readonly number[];
  private readonly series = new Map<string, Series<L>>();

  constructor(cfg: {
    name: string;
    help: string;
    labelNames: readonly L[];
    buckets: readonly number[];
    registry: Registry;
  }) {
    this.name = cfg.name;
    this.help = cfg.help;
    this.labelNames = cfg.labelNames;
    this.upperBounds = [...cfg.buckets].sort((a, b) => a - b);
    // The registry calls get()/getForPromString() and reset() and reads name, help, type
    // and aggregator, which this class has; registerMetric's type lists prom-client's own.
    cfg.registry.registerMetric(this as unknown as Metric);
  }

  /** The cell of one label set (created empty: the series exists from then on). */
  cell(labels: LabelValues<L>): HistogramCell {
    let key = '';
    for (const n of this.labelNames) key += `${labels[n] ?? ''}\u001f`;
    let s = this.series.get(key);
    if (s === undefined) {
      for (const n in labels) {
        if (!(this.labelNames as readonly string[]).includes(n))
          throw new Error(
            `label "${n}" is not one of ${this.name}'s: ${this.labelNames.join(', ')}`,
          );
      }
      s = {
        labels: { ...labels },
        cell: { counts: new Array<number>(this.upperBounds.length + 1).fill(0), sum: 0, count: 0 },
      };
      this.series.set(key, s);
    }
    return s.cell;
  }

  /** Adds one observation of `value` to `cell` (non-finite values are refused, as prom-client does). */
  observe(cell: HistogramCell, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.upperBounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    (cell.counts[i] as number)++;
    cell.sum += value;
    cell.count++;
  }

  /** What the registry renders: cumulative buckets, +Inf, sum and count per series. */
  async getForPromString(): Promise<HistogramData<HistogramSample<L>>> {
    const values: HistogramSample<L>[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, cell } of this.series.values()) {
      let acc = 0;
      this.upperBounds.forEach((le, i) => {
        acc += cell.counts[i] as number;
        values.push({
          labels: { le },
          sharedLabels: labels,
          value: acc,
          metricName: bucket,
          exemplar: null,
        });
      });
      const common = { sharedLabels: labels };
      values.push(
        {
          ...common,
          labels: { le: '+Inf' },
          value: cell.count,
          metricName: bucket,
          exemplar: null,
        },
        { ...common, labels: {}, value: cell.sum, metricName: `${this.name}_sum` },
        { ...common, labels: {}, value: cell.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }

  /** prom-client's `get()`: each sample's labels with the series' labels merged in. */
  async get(): Promise<HistogramData<MetricValue<string>>> {
    const data = await this.getForPromString();
    const values = data.values.map(({ labels, sharedLabels, ...rest }) => ({
      ...rest,
      labels: { ...labels, ...sharedLabels } as LabelValues<string>,
    }));
    return { ...data, values };
  }

  /** Forgets every series (prom-client's `reset`, called by `registry.resetMetrics()`). */
  reset(): void {
    this.series.clear();
  }
}
