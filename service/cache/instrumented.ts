import type { AccessObserver } from '../estimator/observer.ts';
import type { CounterCell } from '../metrics/cell-counter.ts';
import type { Metrics } from '../metrics/registry.ts';
import type { Cache, SetOptions } from './cache.ts';
import type { KeyPatternExtractor } from './key-pattern.ts';
import { CacheError, fail, type Result } from './result.ts';
import type { CacheStats, PatternCounts } from './stats.ts';

/** The metric cells and statistics of one key pattern, looked up once per operation. */
interface PatternCells {
  readonly hits: CounterCell;
  readonly misses: CounterCell;
  readonly sets: CounterCell;
  readonly dels: CounterCell;
  readonly counts: PatternCounts;
}

/** What `InstrumentedCache` records into. */
export interface InstrumentationDeps {
  readonly metrics: Metrics;
  readonly patterns: KeyPatternExtractor;
  readonly stats: CacheStats;
  /** Sizing estimator, told about every get/set/del. @default none */
  readonly observer?: AccessObserver;
  /** Clock in ms for the observer. @default Date.now */
  readonly now?: () => number;
}

/**
 * The one instrumentation layer, wrapped around any `Cache`: counts every operation by
 * `impl` and bounded `key_pattern`, counts failures by `error_type`, and turns anything
 * the wrapped implementation throws or rejects with into an error `Result`.
 */
export class InstrumentedCache implements Cache {
  readonly impl: string;
  private readonly now: () => number;
  // Bounded by the pattern limit (+ `other`): patterns come from the extractor.
  private readonly byPattern = new Map<string, PatternCells>();

  constructor(
    readonly inner: Cache,
    private readonly deps: InstrumentationDeps,
  ) {
    this.impl = inner.impl;
    this.now = deps.now ?? Date.now;
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
      cells.counts.errors++;
      this.deps.metrics.cacheErrors.inc({ impl: this.impl, error_type: r.error.type });
    } else if (r.value === undefined) {
      cells.counts.misses++;
      cells.misses.value++;
    } else {
      cells.counts.hits++;
      cells.hits.value++;
    }
    return r;
  }

  async set<T>(key: string, value: T, opts: SetOptions): Promise<Result<boolean>> {
    const { patterns, observer } = this.deps;
    const pattern = patterns.extract(key);
    // Sized lazily: the estimator serialises only the values of keys it samples.
    observer?.onSet(pattern, key, () => jsonBytes(value), opts.ttlMs, this.now(), opts.tags);
    const cells = this.cells(pattern);
    cells.counts.sets++;
    cells.sets.value++;
    return this.guard(() => this.inner.set(key, value, opts), pattern);
  }

  async del(key: string): Promise<Result<boolean>> {
    const { patterns, observer } = this.deps;
    const pattern = patterns.extract(key);
    observer?.onDel(pattern, key, this.now());
    const cells = this.cells(pattern);
    cells.counts.dels++;
    cells.dels.value++;
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

  private cells(pattern: string): PatternCells {
    let c = this.byPattern.get(pattern);
    if (!c) {
      const { metrics, stats } = this.deps;
      const labels = { impl: this.impl, key_pattern: pattern };
      c = {
        hits: metrics.cacheHits.cell(labels),
        misses: metrics.cacheMisses.cell(labels),
        sets: metrics.cacheSets.cell(labels),
        dels: metrics.cacheDels.cell(labels),
        counts: stats.of(pattern),
      };
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
      this.deps.stats.of(pattern).errors++;
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
