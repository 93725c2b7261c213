import type { BreakerView } from './breaker-view.ts';
import type { CacheErrorType } from './result.ts';
import type { PatternStats } from './stats.ts';

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

/** The last failed operation routed to an implementation. */
export interface LastError {
  readonly type: CacheErrorType;
  readonly atMs: number;
}

/** What the health is computed from. */
export interface HealthInputs {
  readonly enabled: boolean;
  readonly breaker: BreakerView | undefined;
  readonly lastError: LastError | null;
  readonly unknownPatterns: readonly string[];
}

/** ok | degraded | disabled, breaker state and last error (see `CacheHealth`). */
export function cacheHealth(h: HealthInputs, nowMs: number): CacheHealth {
  const breaker = h.breaker?.state ?? 'closed';
  const err = h.lastError;
  const recent = err !== null && nowMs - err.atMs < DEGRADED_AFTER_ERROR_MS;
  return {
    status: !h.enabled ? 'disabled' : breaker !== 'closed' || recent ? 'degraded' : 'ok',
    breaker,
    lastError: err && { type: err.type, at: new Date(err.atMs).toISOString() },
    unknownPatterns: h.unknownPatterns,
  };
}
