import type { AccessObserver } from '../estimator/observer.ts';
import type { CounterCell } from '../metrics/cell-counter.ts';
import type { Metrics } from '../metrics/registry.ts';
import type { BreakerView } from './breaker-view.ts';
import type { Cache, CacheSize, SetOptions } from './cache.ts';
import { freshTtlOf, isStaleEntry } from './fresh-entry.ts';
import type { KeyPatternExtractor } from './key-pattern.ts';
import { CACHE_ERROR_TYPES, CacheError, fail, type Result } from './result.ts';
import type { CacheStats, PatternCounters } from './stats.ts';

/**
 * The counters of one key pattern, looked up once per operation: the metric cells (which
 * `CacheStats` reads too, so every operation is counted once) and the pattern's errors.
 */
interface PatternCells extends PatternCounters {
  readonly errors: CounterCell;
}

/** What `InstrumentedCache` records into. */
export interface InstrumentationDeps {
  readonly metrics: Metrics;
  readonly patterns: KeyPatternExtractor;
  /** Per-pattern counts for status pages: reads the metric cells, counts errors by pattern. */
  readonly stats: CacheStats;
  /** Sizing estimator, told about every get/set/del. @default none */
  readonly observer?: AccessObserver;
  /** Clock in ms for the observer. @default Date.now */
  readonly now?: () => number;
  /**
   * Bytes a layer below adds to each value's JSON before it is stored (the schema-version
   * envelope of `ValidatingCache`), so the observer sizes what Redis will hold. @default 0
   */
  readonly storedOverheadBytes?: (key: string) => number;
  /** Wall clock of grace entries' fresh time (shared across replicas). @default Date.now */
  readonly wallNow?: () => number;
}

/**
 * The one instrumentation layer, wrapped around any `Cache`: counts every operation by
 * `impl` and bounded `key_pattern`, counts failures by `error_type`, and turns anything
 * the wrapped implementation throws or rejects with into an error `Result`.
 */
export class InstrumentedCache implements Cache {
  readonly impl: string;
  private readonly now: () => number;
  private readonly wallNow: () => number;
  // Bounded by the pattern limit (+ `other`): patterns come from the extractor.
  private readonly byPattern = new Map<string, PatternCells>();

  constructor(
    readonly inner: Cache,
    private readonly deps: InstrumentationDeps,
  ) {
    this.impl = inner.impl;
    this.now = deps.now ?? Date.now;
    this.wallNow = deps.wallNow ?? Date.now;
  }

  async get<T>(key: string): Promise<Result<T | undefined>> {
    const { patterns, observer } = this.deps;
    const pattern = patterns.extract(key);
    observer?.onGet(pattern, key, this.now());
    let r: Result<T | undefined>;
    try {
      r = await this.inner.get<T>(key);
    } catch (err) {
      r = fail(CacheError.from(err));
    }
    const cells = this.cells(pattern);
    if (!r.ok) {
      cells.errors.value++;
      this.deps.metrics.cacheErrors.inc({ impl: this.impl, error_type: r.error.type });
    } else if (r.value === undefined || isStaleEntry(r.value, this.wallNow())) {
      // A stale entry kept for grace is a miss: the caller has to refresh it.
      cells.misses.value++;
    } else {
      cells.hits.value++;
    }
    return r;
  }

  async set<T>(key: string, value: T, opts: SetOptions): Promise<Result<boolean>> {
    const { patterns, observer } = this.deps;
    const pattern = patterns.extract(key);
    // Sized lazily: the estimator serialises only the values of keys it samples.
    const overhead = this.deps.storedOverheadBytes;
    const size = overhead ? () => jsonBytes(value) + overhead(key) : () => jsonBytes(value);
    // An entry kept past its TTL for grace: the estimator models the fresh TTL.
    const ttlMs = observer ? (freshTtlOf(value, this.wallNow()) ?? opts.ttlMs) : opts.ttlMs;
    observer?.onSet(pattern, key, size, ttlMs, this.now(), opts.tags);
    this.cells(pattern).sets.value++;
    return this.guard(() => this.inner.set(key, value, opts), pattern);
  }

  async del(key: string): Promise<Result<boolean>> {
    const { patterns, observer } = this.deps;
    const pattern = patterns.extract(key);
    observer?.onDel(pattern, key, this.now());
    this.cells(pattern).dels.value++;
    return this.guard(() => this.inner.del(key), pattern);
  }

  async invalidateTag(tag: string): Promise<Result<number>> {
    // Tags are user-derived too (`sheet:42`): label them by their bounded pattern.
    const tagPattern = this.deps.patterns.extract(tag);
    this.deps.metrics.cacheInvalidations.inc({ impl: this.impl, tag: tagPattern });
    this.deps.observer?.onInvalidateTag?.(tag, this.now());
    return this.guard(() => this.inner.invalidateTag(tag), tagPattern);
  }

  close(): Promise<void> {
    return this.inner.close().catch(() => undefined);
  }

  get breaker(): BreakerView | undefined {
    return this.inner.breaker;
  }

  async size(patternOf: (key: string) => string): Promise<CacheSize> {
    return (await this.inner.size?.(patternOf)) ?? {};
  }

  /**
   * Creates the counter series this implementation may later move, at 0: every
   * `error_type` (a closed set) and the operation counters of `patterns`. Prometheus'
   * practice: a series that exists before the first event makes rates and ratios 0, not
   * "no data", and lets alerts on them evaluate. Idempotent.
   */
  initialiseSeries(patterns: readonly string[]): void {
    const { metrics } = this.deps;
    for (const error_type of CACHE_ERROR_TYPES)
      metrics.cacheErrors.cell({ impl: this.impl, error_type });
    for (const key_pattern of patterns) {
      const labels = { impl: this.impl, key_pattern };
      metrics.cacheHits.cell(labels);
      metrics.cacheMisses.cell(labels);
      metrics.cacheSets.cell(labels);
      metrics.cacheDels.cell(labels);
    }
  }

  private cells(pattern: string): PatternCells {
    let c = this.byPattern.get(pattern);
    if (!c) {
      const { metrics, stats } = this.deps;
      const labels = { impl: this.impl, key_pattern: pattern };
      const counters: PatternCounters = {
        hits: metrics.cacheHits.cell(labels),
        misses: metrics.cacheMisses.cell(labels),
        sets: metrics.cacheSets.cell(labels),
        dels: metrics.cacheDels.cell(labels),
      };
      stats.track(pattern, counters);
      c = { ...counters, errors: stats.errors(pattern) };
      this.byPattern.set(pattern, c);
    }
    return c;
  }

  private async guard<R>(op: () => Promise<Result<R>>, pattern: string): Promise<Result<R>> {
    let r: Result<R>;
    try {
      r = await op();
    } catch (err) {
      r = fail(CacheError.from(err));
    }
    if (!r.ok) {
      this.deps.stats.errors(pattern).value++;
      this.deps.metrics.cacheErrors.inc({ impl: this.impl, error_type: r.error.type });
    }
    return r;
  }
}

/** Serialised size of a value in UTF-8 bytes (what Redis stores), 0 when unserialisable. */
function jsonBytes(value: unknown): number {
  try {
    const json = JSON.stringify(value);
    return json === undefined ? 0 : Buffer.byteLength(json, 'utf8');
  } catch {
    return 0;
  }
}
