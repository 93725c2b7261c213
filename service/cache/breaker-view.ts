import type { BreakerState } from './circuit-breaker.ts';

/** What a status page (/health, /internal/cache) can read of a circuit breaker. */
export interface BreakerView {
  readonly state: BreakerState;
  /** Type of the last failure that counted against the breaker (`auth`, `timeout`, ...). */
  readonly lastErrorType: string | undefined;
  readonly consecutiveFailures: number;
  readonly msSinceLastFailure: number | undefined;
  /** Operations refused without touching the backend so far. */
  readonly refused: number;
}
