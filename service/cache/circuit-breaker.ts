import { type Clock, systemClock } from './clock.ts';

/** `closed`: calls pass. `open`: calls are refused. `half_open`: one probe call passes. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** Called on every state transition, e.g. to set the `cache_circuit_open{impl}` gauge. */
export type BreakerListener = (state: BreakerState, previous: BreakerState) => void;

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. @default 5 */
  readonly failureThreshold?: number;
  /** Time the circuit stays open before one probe is let through. @default 1000 */
  readonly cooldownMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/**
 * A consecutive-failure circuit breaker. The caller asks `tryAcquire()` before each
 * call and reports the outcome with `success()` / `failure()`.
 *
 * After `failureThreshold` failures in a row the circuit opens and `tryAcquire()`
 * refuses without touching the backend. After `cooldownMs` it half-opens (on a timer,
 * so the state and its gauge change even without traffic): the next caller is the
 * single probe; its success closes the circuit, its failure reopens it for another
 * cool-down. While the probe runs, other callers are refused. Outcomes reported while
 * open (late replies to calls admitted earlier) do not change the state.
 */
export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly #clock: Clock;
  readonly #listeners = new Set<BreakerListener>();
  #state: BreakerState = 'closed';
  #failures = 0;
  #lastErrorType: string | undefined;
  #lastFailureAt: number | undefined;
  #refused = 0;
  #probeInFlight = false;
  #timer: unknown;

  constructor(opts: CircuitBreakerOptions = {}) {
    this.failureThreshold = opts.failureThreshold ?? 5;
    this.cooldownMs = opts.cooldownMs ?? 1000;
    this.#clock = opts.clock ?? systemClock;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) {
      throw new RangeError(
        `failureThreshold must be an integer >= 1, got ${this.failureThreshold}`,
      );
    }
    if (!(this.cooldownMs > 0))
      throw new RangeError(`cooldownMs must be > 0, got ${this.cooldownMs}`);
  }

  get state(): BreakerState {
    return this.#state;
  }

  /**
   * Type of the last failure reported (e.g. `auth`, `timeout`), kept after recovery so a
   * status page can say what the last outage was; `undefined` before any failure.
   */
  get lastErrorType(): string | undefined {
    return this.#lastErrorType;
  }

  /** Milliseconds since the last failure reported, `undefined` before any. */
  get msSinceLastFailure(): number | undefined {
    return this.#lastFailureAt === undefined ? undefined : this.#clock.now() - this.#lastFailureAt;
  }

  /** Calls refused (circuit open, or a probe already running) since this breaker was made. */
  get refused(): number {
    return this.#refused;
  }

  /** Failures in a row since the last success. */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** Subscribes to transitions; returns the unsubscribe function. */
  onStateChange(listener: BreakerListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** `true` when the call may go to the backend (closed, or the half-open probe). */
  tryAcquire(): boolean {
    if (this.#state === 'closed') return true;
    if (this.#state === 'open' || this.#probeInFlight) {
      this.#refused++;
      return false;
    }
    this.#probeInFlight = true;
    return true;
  }

  success(): void {
    // A late reply to a call admitted before the circuit opened proves little (the outage
    // may be partial); only calls made while closed or half-open count.
    if (this.#state === 'open') return;
    this.#failures = 0;
    this.#probeInFlight = false;
    if (this.#state === 'half_open') this.#transition('closed');
  }

  /** Reports a failed call; `type` (an error type) is kept as `lastErrorType`. */
  failure(type?: string): void {
    this.#failures++;
    if (type !== undefined) this.#lastErrorType = type;
    this.#lastFailureAt = this.#clock.now();
    if (this.#state === 'half_open') {
      this.#probeInFlight = false;
      this.#open();
    } else if (this.#state === 'closed' && this.#failures >= this.failureThreshold) {
      this.#open();
    }
  }

  /** Cancels the cool-down timer (state is kept). */
  dispose(): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  #open(): void {
    this.#transition('open');
    this.dispose();
    this.#timer = this.#clock.setTimer(() => {
      this.#timer = undefined;
      if (this.#state === 'open') this.#transition('half_open');
    }, this.cooldownMs);
  }

  #transition(next: BreakerState): void {
    const previous = this.#state;
    this.#state = next;
    for (const listener of this.#listeners) {
      try {
        listener(next, previous);
      } catch {
        // A faulty listener (a metrics gauge) must not break the cache path.
      }
    }
  }
}
