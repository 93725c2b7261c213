import type { CounterCell } from '../metrics/cell-counter.ts';

/**
 * The operation counters of one implementation and key pattern: the cells of
 * `cache_hits_total`, `cache_miss_total`, `cache_set_total` and `cache_del_total`.
 */
export interface PatternCounters {
  readonly hits: CounterCell;
  readonly misses: CounterCell;
  readonly sets: CounterCell;
  readonly dels: CounterCell;
}

/** Counts of one key pattern since start, kept across implementation swaps. */
export interface PatternCounts {
  readonly hits: number;
  readonly misses: number;
  readonly sets: number;
  readonly dels: number;
  readonly errors: number;
}

/** `PatternCounts` plus the derived hit ratio (`null` before the first get). */
export interface PatternStats extends PatternCounts {
  readonly pattern: string;
  readonly hitRatio: number | null;
}

interface PatternSources {
  /** Counters of every implementation that served the pattern, keyed by their hits cell. */
  readonly counters: Map<CounterCell, PatternCounters>;
  /** Failed operations of the pattern (no metric has them by pattern: errors are by type). */
  readonly errors: CounterCell;
}

/**
 * Per-pattern operation counts for `GET /internal/cache`. Holds no counts of its own: it
 * reads the metric cells the instrumentation increments (summed over implementations),
 * so each operation is counted once. Only errors by pattern are counted here, since
 * `cache_errors_total` is by error type. Bounded by the pattern limit.
 */
export class CacheStats {
  private readonly byPattern = new Map<string, PatternSources>();

  /** Adds `counters` (one implementation's cells of `pattern`) to the pattern's counts. Idempotent. */
  track(pattern: string, counters: PatternCounters): void {
    const s = this.sources(pattern);
    if (!s.counters.has(counters.hits)) s.counters.set(counters.hits, counters);
  }

  /** The error count of `pattern`, to increment on each failed operation. */
  errors(pattern: string): CounterCell {
    return this.sources(pattern).errors;
  }

  /** A snapshot, patterns sorted by accesses (gets) descending. */
  snapshot(): PatternStats[] {
    return [...this.byPattern]
      .map(([pattern, s]) => {
        let hits = 0;
        let misses = 0;
        let sets = 0;
        let dels = 0;
        for (const c of s.counters.values()) {
          hits += c.hits.value;
          misses += c.misses.value;
          sets += c.sets.value;
          dels += c.dels.value;
        }
        const gets = hits + misses;
        const errors = s.errors.value;
        return {
          pattern,
          hits,
          misses,
          sets,
          dels,
          errors,
          hitRatio: gets === 0 ? null : hits / gets,
        };
      })
      .sort((a, b) => b.hits + b.misses - (a.hits + a.misses));
  }

  private sources(pattern: string): PatternSources {
    let s = this.byPattern.get(pattern);
    if (!s) {
      s = { counters: new Map(), errors: { value: 0 } };
      this.byPattern.set(pattern, s);
    }
    return s;
  }
}
