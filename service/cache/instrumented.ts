import type { AccessObserver } from '../estimator/observer.ts';
import type { Metrics } from '../metrics/registry.ts';
import type { Cache, SetOptions } from './cache.ts';
import type { KeyPatternExtractor } from './key-pattern.ts';
import { CacheError, fail, type Result } from './result.ts';
import type { CacheStats } from './stats.ts';

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

  constructor(
    readonly inner: Cache,
    private readonly deps: InstrumentationDeps,
  ) {
    this.impl = inner.impl;
    this.now = deps.now ?? Date.now;
  }

  async get<T>(key: string): Promise<Result<T | undefined>> {
    const { metrics, patterns, stats, observer } = this.deps;
    const pattern = patterns.extract(key);
    observer?.onGet(pattern, key, this.now());
    let r: Result<T | undefined>;
    try {
      r = await this.inner.get<T>(key);
    } catch (err) {
      r = fail(CacheError.from(err));
    }
    const counts = stats.of(pattern);
    if (!r.ok) {
      counts.errors++;
      metrics.cacheErrors.inc({ impl: this.impl, error_type: r.error.type });
    } else if (r.value === undefined) {
      counts.misses++;
      metrics.cacheMisses.inc({ impl: this.impl, key_pattern: pattern });
    } else {
      counts.hits++;
      metrics.cacheHits.inc({ impl: this.impl, key_pattern: pattern });
    }
    return r;
  }

  async set<T>(key: string, value: T, opts: SetOptions): Promise<Result<boolean>> {
    const { metrics, patterns, stats, observer } = this.deps;
    const pattern = patterns.extract(key);
    if (observer) observer.onSet(pattern, key, jsonBytes(value), opts.ttlMs, this.now());
    const counts = stats.of(pattern);
    counts.sets++;
    metrics.cacheSets.inc({ impl: this.impl, key_pattern: pattern });
    return this.guard(() => this.inner.set(key, value, opts), pattern);
  }

  async del(key: string): Promise<Result<boolean>> {
    const { metrics, patterns, stats, observer } = this.deps;
    const pattern = patterns.extract(key);
    observer?.onDel(pattern, key, this.now());
    stats.of(pattern).dels++;
    metrics.cacheDels.inc({ impl: this.impl, key_pattern: pattern });
    return this.guard(() => this.inner.del(key), pattern);
  }

  async invalidateTag(tag: string): Promise<Result<number>> {
    // Tags are user-derived too (`sheet:42`): label them by their bounded pattern.
    const tagPattern = this.deps.patterns.extract(tag);
    this.deps.metrics.cacheInvalidations.inc({ impl: this.impl, tag: tagPattern });
    return this.guard(() => this.inner.invalidateTag(tag), tagPattern);
  }

  close(): Promise<void> {
    return this.inner.close().catch(() => undefined);
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

/** Serialised size of a value in bytes (UTF-8 estimate: string length), 0 when unserialisable. */
function jsonBytes(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return 0;
  }
}
