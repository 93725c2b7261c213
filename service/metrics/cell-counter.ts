import type { LabelValues, Registry } from 'prom-client';
import { ScrapeFamily } from './scrape-family.ts';

/** One series of a `CellCounter`: increment `value` directly on a hot path. */
export interface CounterCell {
  value: number;
}

/**
 * A counter whose series are plain number cells, read at scrape time (a `ScrapeFamily`
 * on the registry). A labelled `Counter.inc` hashes and validates its labels on every
 * call; a cell looked up once per label set costs a property increment. Use
 * `inc()` for cold paths and `cell()` (kept by the caller) for hot ones. All increments
 * must go through this object: each scrape exports exactly the cells.
 */
export class CellCounter<L extends string> {
  /** The family the registry renders (a counter built from the cells at each scrape). */
  readonly family: ScrapeFamily<L>;
  private readonly cells = new Map<string, { labels: LabelValues<L>; cell: CounterCell }>();

  constructor(cfg: { name: string; help: string; labelNames: readonly L[]; registry: Registry }) {
    const cells = this.cells;
    this.labelNames = cfg.labelNames;
    this.family = new ScrapeFamily<L>({
      name: cfg.name,
      help: cfg.help,
      labelNames: [...cfg.labelNames],
      type: 'counter',
      registry: cfg.registry,
      collect(emit) {
        for (const { labels, cell } of cells.values()) emit(labels, cell.value);
      },
    });
  }

  private readonly labelNames: readonly L[];

  /** The cell of one label set (created at 0, so the series exists from then on). */
  cell(labels: LabelValues<L>): CounterCell {
    const key = this.labelNames.map((n) => String(labels[n] ?? '')).join('\u001f');
    let entry = this.cells.get(key);
    if (!entry) {
      entry = { labels: { ...labels }, cell: { value: 0 } };
      this.cells.set(key, entry);
    }
    return entry.cell;
  }

  /** Adds `value` (default 1) to the series of `labels`. */
  inc(labels: LabelValues<L>, value = 1): void {
    this.cell(labels).value += value;
  }
}
