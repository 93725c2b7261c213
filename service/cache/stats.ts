/** Counts of one key pattern since start, kept across implementation swaps. */
export interface PatternCounts {
  hits: number;
  misses: number;
  sets: number;
  dels: number;
  errors: number;
}

/** `PatternCounts` plus the derived hit ratio (`null` before the first get). */
export interface PatternStats extends PatternCounts {
  readonly pattern: string;
  readonly hitRatio: number | null;
}

/** Per-pattern operation counts for `GET /internal/cache`. Bounded by the pattern limit. */
export class CacheStats {
  private readonly byPattern = new Map<string, PatternCounts>();

  /** The mutable counts of `pattern`, created on first use. */
  of(pattern: string): PatternCounts {
    let c = this.byPattern.get(pattern);
    if (!c) {
      c = { hits: 0, misses: 0, sets: 0, dels: 0, errors: 0 };
      this.byPattern.set(pattern, c);
    }
    return c;
  }

  /** A snapshot, patterns sorted by accesses (gets) descending. */
  snapshot(): PatternStats[] {
    return [...this.byPattern]
      .map(([pattern, c]) => {
        const gets = c.hits + c.misses;
        return { pattern, ...c, hitRatio: gets === 0 ? null : c.hits / gets };
      })
      .sort((a, b) => b.hits + b.misses - (a.hits + a.misses));
  }
}
