import type { Logger } from '../logger.ts';
import type { BreakerView } from './breaker-view.ts';
import type { BreakerListener } from './circuit-breaker.ts';

/** What `logBreakerOutages` watches (a RedisCache). */
export interface BreakerSource {
  readonly breaker: BreakerView;
  onBreakerStateChange(listener: BreakerListener): () => void;
}

/** Options of the log helpers. */
export interface OutageLogOptions {
  /** During a long outage, one "still open" line at most this often. @default 60000 */
  readonly reminderMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Logs the breaker once per change of health, not once per transition: a line when the
 * circuit opens (with the error type that opened it), a line when it closes again with a
 * summary of the outage (how long, probes failed, operations refused), and during a long
 * outage one "still open" line per `reminderMs`. The open → half-open → open cycle of
 * every cool-down (2 transitions a second with the default 1 s) is counted, not logged.
 * Returns the unsubscribe function.
 */
export function logBreakerOutages(
  source: BreakerSource,
  logger: Logger,
  opts: OutageLogOptions = {},
): () => void {
  const now = opts.now ?? Date.now;
  const reminderMs = opts.reminderMs ?? 60_000;
  let openedAt = 0;
  let lastLogAt = 0;
  let failedProbes = 0;
  let refusedAtOpen = 0;
  const summary = () => ({
    openForMs: now() - openedAt,
    failedProbes,
    refusedOps: source.breaker.refused - refusedAtOpen,
    lastErrorType: source.breaker.lastErrorType ?? null,
  });
  return source.onBreakerStateChange((state, previous) => {
    if (state === 'open' && previous === 'closed') {
      openedAt = now();
      lastLogAt = openedAt;
      failedProbes = 0;
      refusedAtOpen = source.breaker.refused;
      logger.warn('redis circuit open: cache bypassed, requests use the source', {
        lastErrorType: source.breaker.lastErrorType ?? null,
      });
    } else if (state === 'open' && previous === 'half_open') {
      failedProbes++;
      if (now() - lastLogAt >= reminderMs) {
        lastLogAt = now();
        logger.warn('redis circuit still open', summary());
      }
    } else if (state === 'closed') {
      logger.info('redis circuit closed: cache back', summary());
    }
  });
}

/**
 * Rate-limits error logs per error type: the first error of a type is logged at once,
 * later ones within `reminderMs` are counted and reported with the next line of that
 * type (`suppressed`). So an auth failure or OOM is logged promptly, and a flood is
 * one line a minute per type.
 */
export class ThrottledErrorLog {
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #reminderMs: number;
  // Bounded: keys are error types (a closed set).
  readonly #byType = new Map<string, { lastLogAt: number; suppressed: number }>();

  constructor(logger: Logger, opts: OutageLogOptions = {}) {
    this.#logger = logger;
    this.#now = opts.now ?? Date.now;
    this.#reminderMs = opts.reminderMs ?? 60_000;
  }

  report(errorType: string, message: string, what = 'redis error'): void {
    const t = this.#now();
    const seen = this.#byType.get(errorType);
    if (seen && t - seen.lastLogAt < this.#reminderMs) {
      seen.suppressed++;
      return;
    }
    this.#logger.warn(`${what} (requests fall back to the source)`, {
      errorType,
      err: message,
      suppressed: seen?.suppressed ?? 0,
    });
    this.#byType.set(errorType, { lastLogAt: t, suppressed: 0 });
  }
}
