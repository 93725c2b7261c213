import {
  DEFAULT_ESTIMATE_SIZES_BYTES,
  DEFAULT_ESTIMATE_SIZES_ENTRIES,
  OTHER_PATTERN,
} from '../metrics/names.ts';
import type { AccessObserver } from './observer.ts';
import { entryBytes, type RedisLayout, tagSetBytes } from './redis-memory.ts';
import { type EntrySize, ShardsMrc } from './shards.ts';
import { TagIndex } from './tag-index.ts';

/**
 * Cache sizes (Redis bytes) of the exported cumulative hit counters: two per doubling
 * from 16 KiB to 64 GiB (45 sizes), so a report can read a whole curve at ~41 % steps and
 * interpolate between them. Fixed, so label sets stay the same across pods and scrapes.
 */
export const CURVE_SIZES_BYTES: readonly number[] = Array.from({ length: 45 }, (_, i) =>
  Math.round(16_384 * 2 ** (i / 2)),
);

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
  /** Key layout whose Redis memory the byte curves measure. @default prefix `metasheet:development:` */
  readonly redisLayout?: RedisLayout;
  /**
   * Multiplies every TTL the model sees. Set it to (replicas sharing one Redis) × (mean TTL
   * jitter, 1.05): each of N pods sees 1/N of the traffic, which is the shared stream
   * slowed down N times, so an N× TTL makes the pod's model the shared cache's. @default 1
   */
  readonly ttlScale?: number;
  /** Replicas the model assumes share one Redis (exported for the report). @default 1 */
  readonly sharedReplicas?: number;
  /** Most sampled keys remembered per tag for invalidation. @default 50_000 in all */
  readonly maxTagIndexEntries?: number;
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
  /**
   * Estimated live keys and their Redis bytes (expired keys excluded); `sharedBytes` is
   * the part that is tag sets, which entries of other patterns with the same tag share.
   */
  readonly workingSet: {
    readonly entries: number;
    readonly bytes: number;
    readonly sharedBytes: number;
  };
  /** Bounded pattern of the tags this pattern's entries carry (`sheet` for `sheet:42`), or null. */
  readonly tagPattern: string | null;
  /** Cumulative since start: estimated gets, and hits at each of `CURVE_SIZES_BYTES`. */
  readonly cumulative: { readonly gets: number; readonly hits: number[] };
  /** Hit ratio at the configured sizes (the exported gauges). Empty before the first get. */
  readonly atSizes: { readonly entries: CurvePoint[]; readonly bytes: CurvePoint[] };
}

/** The tag sets of one tag pattern in the modelled cache (all patterns' tags of it together). */
export interface TagSetEstimate {
  readonly tagPattern: string;
  readonly entries: number;
  readonly bytes: number;
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
  readonly sharedReplicas: number;
  private readonly now: () => number;
  private readonly layout: RedisLayout;
  private readonly ttlScale: number;
  private readonly byPattern = new Map<string, ShardsMrc>();
  private readonly tagPatternOf = new Map<string, string>();
  private readonly tags: TagIndex;
  // Tag sets modelled as keys of their own (SHARDS over tag hashes, expiry = the latest
  // member's), so the union of tag sets that patterns share is counted once.
  private readonly tagSets = new Map<string, ShardsMrc>();

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
    this.layout = opts.redisLayout ?? { keyPrefix: 'metasheet:development:' };
    this.ttlScale = opts.ttlScale ?? 1;
    if (!(this.ttlScale > 0)) throw new RangeError(`ttlScale must be > 0, got ${this.ttlScale}`);
    this.sharedReplicas = opts.sharedReplicas ?? 1;
    this.tags = new TagIndex(opts.maxTagIndexEntries ?? 50_000);
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
    tags: readonly string[] = [],
  ): void {
    const ttl = ttlMs * this.ttlScale;
    for (const tag of tags)
      this.tagModel(tag).set(tag, () => tagSetBytes(this.layout, tag), ttl, nowMs);
    const m = this.of(pattern);
    if (!m.isSampled(key)) return;
    const first = tags[0];
    if (first !== undefined && !this.tagPatternOf.has(pattern)) {
      this.tagPatternOf.set(pattern, first.slice(0, Math.max(0, first.indexOf(':'))));
    }
    for (const tag of tags) this.tags.add(tag, pattern, key);
    // Sized as Redis stores it: value key, TTL, tag-set members and tag sets.
    const size = (): EntrySize => {
      const json = typeof valueBytes === 'function' ? valueBytes() : valueBytes;
      const e = entryBytes(this.layout, key, json, tags);
      return { bytes: e.value + e.tagMembers + e.tagSets, sharedBytes: e.tagSets };
    };
    m.set(key, size, ttl, nowMs);
  }

  onDel(pattern: string, key: string, nowMs: number): void {
    this.of(pattern).del(key, nowMs);
  }

  onInvalidateTag(tag: string, nowMs: number): void {
    for (const [pattern, key] of this.tags.take(tag)) this.byPattern.get(pattern)?.del(key, nowMs);
    this.tagModel(tag).del(tag, nowMs);
  }

  /** Estimated hit ratio of `pattern` in an LRU cache of `bytes` Redis bytes, since start (null: unknown). */
  hitRatioAtBytes(pattern: string, bytes: number): number | null {
    return this.byPattern.get(pattern)?.hitRatioAtBytes(bytes) ?? null;
  }

  /** Live tag sets per tag pattern (`sheet` for `sheet:42`) and their own Redis bytes. */
  tagSetEstimates(nowMs: number = this.now()): TagSetEstimate[] {
    return [...this.tagSets].map(([tagPattern, m]) => {
      const ws = m.workingSet(nowMs);
      return { tagPattern, entries: ws.entries, bytes: ws.bytes };
    });
  }

  /** Bytes held by every pattern's estimator and the tag-set models. */
  memoryBytes(): number {
    let sum = 0;
    for (const m of this.byPattern.values()) sum += m.memoryBytes();
    for (const m of this.tagSets.values()) sum += m.memoryBytes();
    return sum;
  }

  /** Per pattern: sampling rate, working set and hit ratios at the configured sizes. */
  estimates(nowMs: number = this.now()): PatternEstimate[] {
    const tagPatterns = this.boundedTagPatterns();
    return [...this.byPattern].map(([pattern, m]) =>
      estimateOf(pattern, m, nowMs, this.sizesEntries, this.sizesBytes, tagPatterns),
    );
  }

  /** `estimates()` plus each whole curve (sizes doubling up to where hits stop). */
  curves(nowMs: number = this.now()): PatternCurve[] {
    return [...this.byPattern].map(([pattern, m]) => {
      const base = estimateOf(
        pattern,
        m,
        nowMs,
        this.sizesEntries,
        this.sizesBytes,
        this.boundedTagPatterns(),
      );
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

  /** Each pattern's tag pattern as a bounded label: a pattern estimated here, else `other`. */
  private boundedTagPatterns(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [pattern, prefix] of this.tagPatternOf) {
      out.set(pattern, this.byPattern.has(prefix) ? prefix : OTHER_PATTERN);
    }
    return out;
  }

  /** The tag-set model of `tag`'s pattern: at most `maxPatterns` of them, then `other`. */
  private tagModel(tag: string): ShardsMrc {
    const prefix = tag.slice(0, Math.max(0, tag.indexOf(':')));
    const known = this.tagSets.get(prefix);
    if (known) return known;
    const name = this.tagSets.size < this.maxPatterns ? prefix : OTHER_PATTERN;
    let m = this.tagSets.get(name);
    if (!m) {
      m = new ShardsMrc({ maxBytes: this.maxBytesPerPattern, initialRate: this.initialRate });
      this.tagSets.set(name, m);
    }
    return m;
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
  tagPatterns: ReadonlyMap<string, string>,
): PatternEstimate {
  return {
    pattern,
    samplingRate: m.rate,
    gets: m.gets,
    trackedKeys: m.trackedKeys,
    memoryBytes: m.memoryBytes(),
    workingSet: m.workingSet(nowMs),
    tagPattern: tagPatterns.get(pattern) ?? null,
    cumulative: m.cumulativeByBytes(CURVE_SIZES_BYTES),
    atSizes: {
      entries: pointsOf(sizesEntries, m.hitRatiosAtEntries(sizesEntries)),
      bytes: pointsOf(sizesBytes, m.hitRatiosAtBytes(sizesBytes)),
    },
  };
}

function points(
  sizes: readonly number[],
  at: (size: number, index: number) => number | null,
): CurvePoint[] {
  const out: CurvePoint[] = [];
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i] ?? 0;
    const hitRatio = at(size, i);
    if (hitRatio !== null) out.push({ size, hitRatio: Math.round(hitRatio * 1e4) / 1e4 });
  }
  return out;
}

/** `points` of ratios already read, one per size (null: none yet). */
function pointsOf(sizes: readonly number[], ratios: readonly (number | null)[]): CurvePoint[] {
  return points(sizes, (_, i) => ratios[i] ?? null);
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
