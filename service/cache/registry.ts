import type { BreakerView } from './breaker-view.ts';
import type { Cache, SetOptions } from './cache.ts';
import { type InstrumentationDeps, InstrumentedCache } from './instrumented.ts';
import { NullCache } from './null-cache.ts';
import { RegistryGauges } from './registry-gauges.ts';
import {
  type CacheHealth,
  type CacheStatus,
  cacheHealth,
  type LastError,
} from './registry-status.ts';
import type { Result } from './result.ts';
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

interface Slot {
  readonly cache: InstrumentedCache;
  inFlight: number;
  retired: boolean;
  drained?: () => void;
}

/**
 * Holds the active cache implementation, instrumented. `swap()` replaces it at run time:
 * new operations go to the new one at once, operations already running finish on the
 * old one, which is closed only after they have. Implements `Cache` itself, so callers
 * hold the registry and never see a swap. FEATURE_CACHE (`setEnabled`) and the Phase 3
 * whitelist (`setWhitelist`) decide where each operation goes. Its gauges are in
 * `RegistryGauges`, its health and status payloads in `registry-status.ts`.
 */
export class CacheRegistry implements Cache {
  private slot: Slot;
  private readonly observeOnly: InstrumentedCache;
  private readonly instrumentation: InstrumentationDeps;
  private readonly disabled: Cache = new NullCache();
  private readonly gauges: RegistryGauges;
  private enabled: boolean;
  private allowed: ReadonlySet<string> | null;
  private swaps = 0;
  private activeSince = new Date();
  private lastError: LastError | null = null;

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
    this.gauges = new RegistryGauges(deps.metrics, deps.patterns);
    this.gauges.publishEnabled(this.impl, this.enabled);
    this.gauges.publishWhitelist(null, this.allowed);
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
    return this.slot.cache.breaker;
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
    this.gauges.publishEnabled(this.impl, this.enabled, prev.cache.impl);
    this.initialiseSeries();
    prev.retired = true;
    if (prev.inFlight > 0) await new Promise<void>((resolve) => (prev.drained = resolve));
    await prev.cache.close();
    return prev.cache;
  }

  /** Turns FEATURE_CACHE on or off at run time. */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.gauges.publishEnabled(this.impl, this.enabled);
    this.initialiseSeries();
  }

  /** Sets the Phase 3 whitelist (`null`: every pattern uses the active implementation). */
  setWhitelist(patterns: readonly string[] | null): void {
    const before = this.allowed;
    this.allowed = patterns ? new Set(patterns) : null;
    this.gauges.publishWhitelist(before, this.allowed);
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
    return cacheHealth(
      {
        enabled: this.enabled,
        breaker: this.breaker,
        lastError: this.lastError,
        unknownPatterns: this.unknownWhitelisted(),
      },
      nowMs,
    );
  }

  /** The payload of `GET /internal/cache` (see `CacheStatus`). */
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

  /** Sets the gauges read at scrape time (see `RegistryGauges.refresh`). */
  refreshGauges(): Promise<void> {
    return this.gauges.refresh(this.slot.cache);
  }

  /** Closes the active implementation. */
  async close(): Promise<void> {
    await this.slot.cache.close();
  }

  private route<R extends Result<unknown>>(key: string, op: (c: Cache) => Promise<R>): Promise<R> {
    if (!this.enabled) return op(this.disabled);
    if (this.allowed !== null && !this.allowed.has(this.deps.patterns.extract(key))) {
      return op(this.observeOnly);
    }
    return this.run(op);
  }

  private async run<R extends Result<unknown>>(op: (c: Cache) => Promise<R>): Promise<R> {
    const slot = this.slot;
    slot.inFlight++;
    try {
      const r = await op(slot.cache);
      if (!r.ok) this.lastError = { type: r.error.type, atMs: Date.now() };
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
    this.slot.cache.initialiseSeries(served);
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
}
