import { type BreakerView, breakerOf } from './breaker-view.ts';
import type { Cache, SetOptions } from './cache.ts';
import { type InstrumentationDeps, InstrumentedCache } from './instrumented.ts';
import { NullCache } from './null-cache.ts';
import { isRedisSized, type RedisSizeSnapshot } from './redis-size.ts';
import type { CacheErrorType, Result } from './result.ts';
import type { PatternStats } from './stats.ts';
import { envelopeBytes, ValidatingCache, type ValuePolicy } from './validating-cache.ts';

/** Options of `CacheRegistry`. */
export interface CacheRegistryOptions extends InstrumentationDeps {
  /** The implementation to start with. @default new NullCache() */
  readonly initial?: Cache;
  /** FEATURE_CACHE: when false, nothing is cached and no cache metric is recorded. @default true */
  readonly enabled?: boolean;
  /** Phase 3 whitelist: only these patterns reach the implementation; `null` = all. @default null */
  readonly whitelist?: readonly string[] | null;
  /**
   * Checks every value the implementation returns (schema version, nesting depth, shape
   * per key pattern); a bad one is a counted `serialization` error, deleted and refilled.
   * @default none (values are trusted)
   */
  readonly values?: ValuePolicy;
}

/** How long after a cache error `health()` still says `degraded` (ms). */
export const DEGRADED_AFTER_ERROR_MS = 30_000;

/**
 * The cache's health, in `/health` and `/internal/cache`. `disabled`: FEATURE_CACHE is
 * off. `degraded`: the breaker bypasses the implementation, or an operation failed
 * within `DEGRADED_AFTER_ERROR_MS`. Requests never fail for it: they use the source.
 */
export interface CacheHealth {
  readonly status: 'ok' | 'degraded' | 'disabled';
  /** Breaker of the active implementation (`closed` for implementations without one). */
  readonly breaker: 'closed' | 'open' | 'half_open';
  /** Type and time of the last failed operation, or null. */
  readonly lastError: { readonly type: CacheErrorType; readonly at: string } | null;
  /** Whitelisted patterns no route uses and no key has had (typos, e.g. `users`). */
  readonly unknownPatterns: readonly string[];
}

/** What `GET /internal/cache` shows. */
export interface CacheStatus {
  readonly health: CacheHealth;
  readonly enabled: boolean;
  readonly impl: string;
  readonly whitelist: readonly string[] | null;
  readonly swaps: number;
  readonly activeSince: string;
  readonly inFlight: number;
  readonly patternLimit: number;
  readonly patternsTracked: number;
  readonly patterns: PatternStats[];
}

/** An implementation that can tell how much it holds (MemoryCache). */
interface SizedCache extends Cache {
  readonly entries: number;
  readonly bytes: number;
}
const isSized = (c: Cache): c is SizedCache =>
  typeof (c as Partial<SizedCache>).entries === 'number' &&
  typeof (c as Partial<SizedCache>).bytes === 'number';

interface Slot {
  readonly cache: Cache;
  inFlight: number;
  retired: boolean;
  drained?: () => void;
}

/**
 * Holds the active cache implementation, instrumented. `swap()` replaces it at run time:
 * new operations go to the new one at once, operations already running finish on the
 * old one, which is closed only after they have. Implements `Cache` itself, so callers
 * hold the registry and never see a swap.
 */
export class CacheRegistry implements Cache {
  private slot: Slot;
  private readonly observeOnly: InstrumentedCache;
  private readonly instrumentation: InstrumentationDeps;
  private readonly disabled: Cache = new NullCache();
  private enabled: boolean;
  private allowed: ReadonlySet<string> | null;
  private swaps = 0;
  private activeSince = new Date();
  private lastError: { type: CacheErrorType; atMs: number } | null = null;

  constructor(private readonly deps: CacheRegistryOptions) {
    this.enabled = deps.enabled ?? true;
    this.allowed = deps.whitelist ? new Set(deps.whitelist) : null;
    // With a value policy every stored value carries its envelope: the estimator (also on
    // the observe-only path, Phase 2) sizes values with it, as Redis will hold them.
    const values = deps.values;
    this.instrumentation = values
      ? { ...deps, storedOverheadBytes: (key: string) => envelopeBytes(values, key) }
      : deps;
    this.observeOnly = new InstrumentedCache(new NullCache(), this.instrumentation);
    this.slot = this.newSlot(deps.initial ?? new NullCache());
    this.publishEnabled(undefined);
    deps.metrics.keyPatternLimit.set(deps.patterns.limit);
    this.publishWhitelist(null);
    this.initialiseSeries();
  }

  /** The active implementation's name (`null`, `memory`, `redis`). */
  get impl(): string {
    return this.slot.cache.impl;
  }

  /**
   * The circuit breaker of the active implementation (`state`, `lastErrorType`, ...), or
   * `undefined` when it has none (null, memory). For `/health` and `/internal/cache`.
   */
  get breaker(): BreakerView | undefined {
    return breakerOf(unwrap(this.slot.cache));
  }

  /** Whether FEATURE_CACHE is on. */
  get isEnabled(): boolean {
    return this.enabled;
  }

  /**
   * Makes `next` the active implementation. Resolves once the previous one has finished
   * its in-flight operations and been closed; returns it (closed).
   */
  async swap(next: Cache): Promise<Cache> {
    const prev = this.slot;
    this.slot = this.newSlot(next);
    this.swaps++;
    this.activeSince = new Date();
    this.publishEnabled(prev.cache.impl);
    this.initialiseSeries();
    prev.retired = true;
    if (prev.inFlight > 0) await new Promise<void>((resolve) => (prev.drained = resolve));
    await prev.cache.close();
    return prev.cache;
  }

  /** Turns FEATURE_CACHE on or off at run time. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.publishEnabled(undefined);
    this.initialiseSeries();
  }

  /** Sets the Phase 3 whitelist (`null`: every pattern uses the active implementation). */
  setWhitelist(patterns: readonly string[] | null): void {
    const before = this.allowed;
    this.allowed = patterns ? new Set(patterns) : null;
    this.publishWhitelist(before);
    this.initialiseSeries();
  }

  /** Whether gets/sets of `pattern` reach the active implementation. */
  serves(pattern: string): boolean {
    return this.enabled && (this.allowed === null || this.allowed.has(pattern));
  }

  get<T>(key: string): Promise<Result<T | undefined>> {
    return this.route(key, (c) => c.get<T>(key));
  }

  set<T>(key: string, value: T, opts: SetOptions): Promise<Result<boolean>> {
    return this.route(key, (c) => c.set(key, value, opts));
  }

  // Deletes and invalidations always reach the implementation, whitelisted or not, so a
  // pattern that leaves and re-enters the whitelist never serves a stale value.
  del(key: string): Promise<Result<boolean>> {
    return this.enabled ? this.run((c) => c.del(key)) : this.disabled.del(key);
  }

  invalidateTag(tag: string): Promise<Result<number>> {
    return this.enabled ? this.run((c) => c.invalidateTag(tag)) : this.disabled.invalidateTag(tag);
  }

  /** Whitelisted patterns the service has never seen: no route uses them, no key had them. */
  unknownWhitelisted(): string[] {
    const seen = new Set(this.deps.patterns.patterns());
    return [...(this.allowed ?? [])].filter((p) => !seen.has(p));
  }

  /** ok | degraded | disabled, breaker state and last error (see `CacheHealth`). */
  health(nowMs = Date.now()): CacheHealth {
    const breaker = this.breaker?.state ?? 'closed';
    const err = this.lastError;
    const recent = err !== null && nowMs - err.atMs < DEGRADED_AFTER_ERROR_MS;
    return {
      status: !this.enabled ? 'disabled' : breaker !== 'closed' || recent ? 'degraded' : 'ok',
      breaker,
      lastError: err && { type: err.type, at: new Date(err.atMs).toISOString() },
      unknownPatterns: this.unknownWhitelisted(),
    };
  }

  status(): CacheStatus {
    return {
      health: this.health(),
      enabled: this.enabled,
      impl: this.impl,
      whitelist: this.allowed ? [...this.allowed] : null,
      swaps: this.swaps,
      activeSince: this.activeSince.toISOString(),
      inFlight: this.slot.inFlight,
      patternLimit: this.deps.patterns.limit,
      patternsTracked: this.deps.patterns.size,
      patterns: this.deps.stats.snapshot(),
    };
  }

  /**
   * Sets the gauges read at scrape time: `cache_key_patterns_tracked`; for an
   * implementation that knows its size (MemoryCache) `cache_entries` / `cache_size_bytes`;
   * for one backed by Redis the `redis_*` and `cache_redis_*` gauges (a bounded read of
   * Redis, cached between scrapes; see `RedisSizeProbe`).
   */
  async refreshGauges(): Promise<void> {
    const { metrics, patterns } = this.deps;
    metrics.keyPatternsTracked.set(patterns.size);
    const inner = unwrap(this.slot.cache);
    if (isSized(inner)) {
      metrics.cacheEntries.set({ impl: inner.impl }, inner.entries);
      metrics.cacheSizeBytes.set({ impl: inner.impl }, inner.bytes);
    }
    if (isRedisSized(inner)) {
      const snap = await inner.readSize((key) => patterns.classify(key));
      if (snap) publishRedisSize(metrics, snap);
    } else {
      publishRedisSize(metrics, undefined);
    }
  }

  /** Closes the active implementation. */
  async close(): Promise<void> {
    await this.slot.cache.close();
  }

  private route<R>(key: string, op: (c: Cache) => Promise<R>): Promise<R> {
    if (!this.enabled) return op(this.disabled);
    if (this.allowed !== null && !this.allowed.has(this.deps.patterns.extract(key))) {
      return op(this.observeOnly);
    }
    return this.run(op);
  }

  private async run<R>(op: (c: Cache) => Promise<R>): Promise<R> {
    const slot = this.slot;
    slot.inFlight++;
    try {
      const r = await op(slot.cache);
      const failed = r as Partial<Result<unknown>>;
      if (failed.ok === false && failed.error)
        this.lastError = { type: failed.error.type, atMs: Date.now() };
      return r;
    } finally {
      slot.inFlight--;
      if (slot.retired && slot.inFlight === 0) slot.drained?.();
    }
  }

  /**
   * While enabled, creates at 0 the counter series known up front: every error type of
   * the active implementation, and for each pattern admitted at start the operation
   * counters of the implementation that will serve it (the active one when whitelisted,
   * the observe-only NullCache otherwise). Disabled: nothing (no cache series at all).
   */
  private initialiseSeries(): void {
    if (!this.enabled) return;
    const known = this.deps.patterns.patterns();
    const served = known.filter((p) => this.allowed === null || this.allowed.has(p));
    const active = this.slot.cache;
    if (active instanceof InstrumentedCache) active.initialiseSeries(served);
    if (served.length < known.length) {
      this.observeOnly.initialiseSeries(known.filter((p) => !served.includes(p)));
    }
    // Stale serving (grace) can happen for any pattern the cache serves: 0 until it does.
    for (const key_pattern of served) this.deps.metrics.staleServed.inc({ key_pattern }, 0);
  }

  private newSlot(cache: Cache): Slot {
    // Validation sits under the instrumentation, so a rejected value counts as an error.
    const { values } = this.deps;
    const validated =
      values && !(cache instanceof ValidatingCache) ? new ValidatingCache(cache, values) : cache;
    const instrumented =
      cache instanceof InstrumentedCache
        ? cache
        : new InstrumentedCache(validated, this.instrumentation);
    return { cache: instrumented, inFlight: 0, retired: false };
  }

  private publishEnabled(previousImpl: string | undefined): void {
    const g = this.deps.metrics.cacheEnabled;
    if (previousImpl !== undefined && previousImpl !== this.impl) g.set({ impl: previousImpl }, 0);
    g.set({ impl: this.impl }, this.enabled ? 1 : 0);
  }

  private publishWhitelist(before: ReadonlySet<string> | null): void {
    const g = this.deps.metrics.patternEnabled;
    for (const p of before ?? []) g.remove({ key_pattern: p });
    for (const p of this.allowed ?? []) g.set({ key_pattern: p }, 1);
  }
}

/** The implementation under the registry's wrappers (instrumentation, validation). */
export function unwrap(cache: Cache): Cache {
  let c = cache;
  while (c instanceof InstrumentedCache || c instanceof ValidatingCache) c = c.inner;
  return c;
}

/** Sets the Redis size gauges from a snapshot; without Redis (or while it is down) removes the sizes. */
function publishRedisSize(
  metrics: CacheRegistryOptions['metrics'],
  snap: RedisSizeSnapshot | undefined,
): void {
  for (const g of [
    metrics.redisMemoryUsed,
    metrics.redisMemoryMax,
    metrics.redisDbKeys,
    metrics.redisPatternKeys,
    metrics.redisPatternMemory,
  ])
    g.reset();
  if (snap === undefined) {
    metrics.redisUp.reset();
    return;
  }
  metrics.redisUp.set(snap.up ? 1 : 0);
  if (!snap.up) return;
  metrics.redisMemoryUsed.set(snap.usedMemoryBytes);
  metrics.redisMemoryMax.set(snap.maxMemoryBytes);
  for (const [db, keys] of Object.entries(snap.dbKeys)) metrics.redisDbKeys.set({ db }, keys);
  for (const [key_pattern, size] of snap.patterns) {
    metrics.redisPatternKeys.set({ key_pattern }, size.keys);
    metrics.redisPatternMemory.set({ key_pattern }, size.bytes);
  }
}
