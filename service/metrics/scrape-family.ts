import { format } from 'node:util';
import { type LabelValues, type Metric, type MetricValue, Registry } from 'prom-client';

/**
 * The label set of one series. Pass the same object for the same series at every scrape
 * (`LabelInterner`, or an object the caller keeps): its text is formatted once.
 */
export type SeriesLabels<L extends string> = Readonly<LabelValues<L>>;

/** Adds one series to the family being collected. */
export type EmitSeries<L extends string> = (labels: SeriesLabels<L>, value: number) => void;

/** What `ScrapeFamily` needs: the family's contract entry, its type and its rows. */
export interface ScrapeFamilyConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly type: 'gauge' | 'counter';
  readonly registry: Registry;
  /** Called at every scrape: emits every series of the family, each label set at most once. */
  readonly collect: (emit: EmitSeries<L>) => void;
}

/** What `get()` returns: the shape of prom-client's own `Metric.get()`. */
export interface ScrapeFamilyValues<L extends string> {
  readonly help: string;
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly values: MetricValue<L>[];
  readonly aggregator: 'sum';
}

/**
 * A metric family computed at each scrape from rows (the estimator's curves, the cells
 * of a `CellCounter`), registered on a prom-client `Registry` beside ordinary metrics.
 *
 * A prom-client Gauge or Counter refilled in `collect()` (`reset()`, then `set`/`inc` per
 * series) hashes and validates every label set at every scrape, and the registry formats
 * and escapes every label again: with 50 patterns × 45 curve sizes that was most of a
 * scrape. Here the caller keeps one label object per series across scrapes and
 * `renderProm()` formats `name{labels} ` once per object; `ScrapeRegistry.metrics()` uses
 * it. Any other registry renders `get()`, which returns samples as a Gauge or Counter
 * does. Both give the bytes prom-client gives for the same series (labels in the label
 * object's key order, prom-client's escaping and number format), and a counter refuses
 * what prom-client's `Counter.inc` refuses (a negative or non-finite value, an unknown
 * label name) by throwing at scrape, as its `collect()` did.
 */
export class ScrapeFamily<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly labelNames: readonly L[];
  readonly aggregator = 'sum';
  readonly #collect: (emit: EmitSeries<L>) => void;
  readonly #escapedName: string;
  readonly #head: string;
  /** `name{labels} ` per label object seen (as many as the caller's label objects). */
  readonly #prefixes = new Map<SeriesLabels<L>, string>();

  constructor(cfg: ScrapeFamilyConfig<L>) {
    this.name = cfg.name;
    this.help = cfg.help;
    this.type = cfg.type;
    this.labelNames = cfg.labelNames;
    this.#collect = cfg.collect;
    this.#escapedName = escapeString(cfg.name);
    this.#head = `# HELP ${this.#escapedName} ${escapeString(cfg.help)}\n# TYPE ${this.#escapedName} ${cfg.type}`;
    // The registry only calls get() and reset() and reads name, help, type and aggregator,
    // which this class has; registerMetric's type lists prom-client's own classes.
    cfg.registry.registerMetric(this as unknown as Metric);
  }

  /** Every series as prom-client's `get()` returns them (JSON, any registry, tests). */
  async get(): Promise<ScrapeFamilyValues<L>> {
    const values: MetricValue<L>[] = [];
    this.#collect((labels, value) => {
      this.#check(labels, value);
      values.push({ value, labels });
    });
    return { help: this.help, name: this.name, type: this.type, values, aggregator: 'sum' };
  }

  /**
   * The family in the Prometheus text format, the bytes `Registry.metrics()` renders for
   * it (without a trailing newline, as prom-client joins families).
   */
  renderProm(): string {
    let out = this.#head;
    const prefixes = this.#prefixes;
    const counter = this.type === 'counter';
    this.#collect((labels, value) => {
      let prefix = prefixes.get(labels);
      if (prefix === undefined) {
        this.#check(labels, value);
        prefix = `${this.#escapedName}${formatLabels(labels)} `;
        prefixes.set(labels, prefix);
      } else if (counter) {
        checkCounterValue(value);
      }
      out += `\n${prefix}${valueString(value)}`;
    });
    return out;
  }

  /** Nothing to reset: every scrape recomputes the family from its rows. */
  reset(): void {}

  /** prom-client's checks: label names of the family; for a counter, its value too. */
  #check(labels: SeriesLabels<L>, value: number): void {
    for (const name in labels) {
      if (!(this.labelNames as readonly string[]).includes(name)) {
        throw new Error(
          `Added label "${name}" is not included in initial labelset: ${format(this.labelNames)}`,
        );
      }
    }
    if (this.type === 'counter') checkCounterValue(value);
  }
}

/** What prom-client's `Counter.inc` throws on. */
function checkCounterValue(value: number): void {
  if (value && !Number.isFinite(value)) {
    throw new TypeError(`Value is not a valid number: ${format(value)}`);
  }
  if (value < 0) throw new Error('It is not possible to decrease a counter');
}

/** prom-client's escaping of names, help texts and label values (its registry.js). */
const escapeString = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** `{a="x",b="y"}` in the object's key order, or '' without labels (as prom-client). */
function formatLabels(labels: Readonly<Record<string, string | number | undefined>>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    const text = typeof value === 'string' ? escapeString(value).replace(/"/g, '\\"') : value;
    parts.push(`${name}="${text}"`);
  }
  return parts.length > 0 ? `{${parts.join(',')}}` : '';
}

/** prom-client's `getValueAsString` (its spelling of NaN included). */
function valueString(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

/**
 * A prom-client `Registry` whose `metrics()` lets each `ScrapeFamily` render itself and
 * renders every other metric through prom-client, joined as prom-client joins them: the
 * same text, without prom-client's per-series work for the scrape-time families. Falls
 * back to prom-client's own `metrics()` for OpenMetrics or with default labels.
 */
export class ScrapeRegistry extends Registry {
  #defaultLabels = false;

  override setDefaultLabels(labels: object): void {
    this.#defaultLabels = Object.keys(labels).length > 0;
    super.setDefaultLabels(labels);
  }

  override async metrics(): Promise<string> {
    if (this.#defaultLabels || this.contentType !== Registry.PROMETHEUS_CONTENT_TYPE) {
      return super.metrics();
    }
    // Every family is collected synchronously within this loop (as in prom-client), so
    // families sharing one computation per scrape (the estimator's) still share it.
    const parts = this.getMetricsAsArray().map((m: unknown) =>
      m instanceof ScrapeFamily
        ? m.renderProm()
        : this.getSingleMetricAsString((m as { readonly name: string }).name),
    );
    return `${(await Promise.all(parts)).join('\n\n')}\n`;
  }
}

/**
 * Interns label objects of one or two labels: the same values give the same frozen
 * object (keys in `names` order), so a `ScrapeFamily` formats each series' labels once.
 * Holds as many objects as the caller has label values (bounded patterns and sizes).
 */
export class LabelInterner<L extends string> {
  readonly #names: readonly L[];
  readonly #byFirst = new Map<string, Map<string, SeriesLabels<L>>>();

  /** @param names one or two label names, in the order the family declares them. */
  constructor(names: readonly L[]) {
    if (names.length < 1 || names.length > 2) throw new RangeError('1 or 2 label names');
    this.#names = names;
  }

  /** The label object of `first` (and `second` when the family has two labels). */
  of(first: string, second = ''): SeriesLabels<L> {
    let inner = this.#byFirst.get(first);
    if (inner === undefined) {
      inner = new Map();
      this.#byFirst.set(first, inner);
    }
    let labels = inner.get(second);
    if (labels === undefined) {
      const [a, b] = this.#names;
      const obj: Partial<Record<L, string>> = {};
      if (a !== undefined) obj[a] = first;
      if (b !== undefined) obj[b] = second;
      labels = Object.freeze(obj);
      inner.set(second, labels);
    }
    return labels;
  }
}
