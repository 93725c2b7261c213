import {
  DEFAULT_ESTIMATE_SIZES_BYTES,
  DEFAULT_ESTIMATE_SIZES_ENTRIES,
  OTHER_PATTERN,
} from '../metrics/names.ts';
import type { AccessObserver } from './observer.ts';
import { ShardsMrc } from './shards.ts';

/** Options of `MrcEstimator`. */
export interface MrcEstimatorOptions {
  /** Memory bound of each pattern's estimator in bytes. @default 1_048_576 */
  readonly maxBytesPerPattern?: number;
  /** Patterns estimated apart; later ones share the `other` estimator. @default 64 */
  readonly maxPatterns?: number;
  /** Starting sampling rate; each pattern lowers its own to stay within its bound. @default 1 */
  readonly initialRate?: number;
  /** Cache sizes (entries) of the exported gauges. @default DEFAULT_ESTIMATE_SIZES_ENTRIES */
  readonly sizesEntries?: readonly number[];
  /** Cache sizes (bytes) of the exported gauges. @default DEFAULT_ESTIMATE_SIZES_BYTES */
  readonly sizesBytes?: readonly number[];
  /** Clock for expiring TTLs at read time. @default Date.now */
  readonly now?: () => number;
}

/** One point of a miss-ratio curve, as a hit ratio. */
export interface CurvePoint {
  readonly size: number;
  readonly hitRatio: number;
}

/** What the estimator knows about one key pattern. */
export interface PatternEstimate {
  readonly pattern: string;
  readonly samplingRate: number;
  readonly gets: number;
  readonly trackedKeys: number;
  readonly memoryBytes: number;
  /** Estimated live keys and bytes (values seen at set, expired keys excluded). */
  readonly workingSet: { readonly entries: number; readonly bytes: number };
  /** Hit ratio at the configured sizes (the exported gauges). Empty before the first get. */
  readonly atSizes: { readonly entries: CurvePoint[]; readonly bytes: CurvePoint[] };
}

/** A pattern's estimate plus its whole curve on a doubling grid, for `GET /internal/cache`. */
export interface PatternCurve extends PatternEstimate {
  readonly curve: { readonly entries: CurvePoint[]; readonly bytes: CurvePoint[] };
}

/**
 * Online miss-ratio curves per key pattern: one fixed-size SHARDS estimator per pattern,
 * created on first use, at most `maxPatterns` (+ `other`), so memory stays below
 * `(maxPatterns + 1) × maxBytesPerPattern`. Plug it into the instrumented cache as its
 * `AccessObserver`; read curves at scrape time (`estimates()`) or for status (`curves()`).
 */
export class MrcEstimator implements AccessObserver {
  readonly maxBytesPerPattern: number;
  readonly maxPatterns: number;
  readonly sizesEntries: readonly number[];
  readonly sizesBytes: readonly number[];
  private readonly initialRate: number;
  private readonly now: () => number;
  private readonly byPattern = new Map<string, ShardsMrc>();

  constructor(opts: MrcEstimatorOptions = {}) {
    this.maxBytesPerPattern = opts.maxBytesPerPattern ?? 1_048_576;
    this.maxPatterns = opts.maxPatterns ?? 64;
    if (!Number.isInteger(this.maxPatterns) || this.maxPatterns < 1) {
      throw new RangeError(`maxPatterns must be a positive integer, got ${this.maxPatterns}`);
    }
    this.initialRate = opts.initialRate ?? 1;
    this.sizesEntries = opts.sizesEntries ?? DEFAULT_ESTIMATE_SIZES_ENTRIES;
    this.sizesBytes = opts.sizesBytes ?? DEFAULT_ESTIMATE_SIZES_BYTES;
    this.now = opts.now ?? Date.now;
    // Fail at construction, not on the first request, when the bound is unusable.
    new ShardsMrc({ maxBytes: this.maxBytesPerPattern, initialRate: this.initialRate });
  }

  onGet(pattern: string, key: string, nowMs: number): void {
    this.of(pattern).get(key, nowMs);
  }

  onSet(
    pattern: string,
    key: string,
    valueBytes: number | (() => number),
    ttlMs: number,
    nowMs: number,
  ): void {
    this.of(pattern).set(key, valueBytes, ttlMs, nowMs);
  }

  onDel(pattern: string, key: string, nowMs: number): void {
    this.of(pattern).del(key, nowMs);
  }

  /** Bytes held by every pattern's estimator. */
  memoryBytes(): number {
    let sum = 0;
    for (const m of this.byPattern.values()) sum += m.memoryBytes();
    return sum;
  }

  /** Per pattern: sampling rate, working set and hit ratios at the configured sizes. */
  estimates(nowMs: number = this.now()): PatternEstimate[] {
    return [...this.byPattern].map(([pattern, m]) =>
      estimateOf(pattern, m, nowMs, this.sizesEntries, this.sizesBytes),
    );
  }

  /** `estimates()` plus each whole curve (sizes doubling up to where hits stop). */
  curves(nowMs: number = this.now()): PatternCurve[] {
    return [...this.byPattern].map(([pattern, m]) => {
      const base = estimateOf(pattern, m, nowMs, this.sizesEntries, this.sizesBytes);
      const max = m.maxUsefulSize();
      return {
        ...base,
        curve: {
          entries: points(doublingGrid(1, max.entries), (s) => m.hitRatioAtEntries(s)),
          bytes: points(doublingGrid(1024, max.bytes), (s) => m.hitRatioAtBytes(s)),
        },
      };
    });
  }

  private of(pattern: string): ShardsMrc {
    const m = this.byPattern.get(pattern);
    if (m) return m;
    const name =
      this.byPattern.size < this.maxPatterns || pattern === OTHER_PATTERN ? pattern : OTHER_PATTERN;
    let created = this.byPattern.get(name);
    if (!created) {
      created = new ShardsMrc({ maxBytes: this.maxBytesPerPattern, initialRate: this.initialRate });
      this.byPattern.set(name, created);
    }
    return created;
  }
}

function estimateOf(
  pattern: string,
  m: ShardsMrc,
  nowMs: number,
  sizesEntries: readonly number[],
  sizesBytes: readonly number[],
): PatternEstimate {
  return {
    pattern,
    samplingRate: m.rate,
    gets: m.gets,
    trackedKeys: m.trackedKeys,
    memoryBytes: m.memoryBytes(),
    workingSet: m.workingSet(nowMs),
    atSizes: {
      entries: points(sizesEntries, (s) => m.hitRatioAtEntries(s)),
      bytes: points(sizesBytes, (s) => m.hitRatioAtBytes(s)),
    },
  };
}

function points(sizes: readonly number[], at: (size: number) => number | null): CurvePoint[] {
  const out: CurvePoint[] = [];
  for (const size of sizes) {
    const hitRatio = at(size);
    if (hitRatio !== null) out.push({ size, hitRatio: Math.round(hitRatio * 1e4) / 1e4 });
  }
  return out;
}

/** `from, 2·from, 4·from, …` until past `to` (at most 48 points). */
function doublingGrid(from: number, to: number): number[] {
  const out: number[] = [];
  for (let s = from; out.length < 48; s *= 2) {
    out.push(s);
    if (s >= to) break;
  }
  return out;
}
