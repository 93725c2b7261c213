import { type Clock, systemClock } from './clock.ts';

/** Rejection reason of an operation that outlived its deadline. */
export class OperationTimeoutError extends Error {
  override readonly name = 'OperationTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`cache operation timed out after ${timeoutMs} ms`);
  }
}

interface Pending {
  readonly deadline: number;
  settled: boolean;
  readonly reject: (err: Error) => void;
}

/**
 * Races promises against one fixed timeout using a single timer.
 *
 * Because every operation gets the same timeout, deadlines arrive in FIFO order: the
 * queue head always expires first, so one timer armed for the head replaces a
 * `setTimeout` per operation (which costs noticeably at ~10^5 ops/s with 1,000 in flight).
 */
export class TimeoutQueue {
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  #queue: Pending[] = [];
  #head = 0;
  #timer: unknown;

  /** @param timeoutMs deadline of every operation, > 0. @param clock @default systemClock */
  constructor(timeoutMs: number, clock: Clock = systemClock) {
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`);
    this.#timeoutMs = timeoutMs;
    this.#clock = clock;
  }

  /** Operations started and neither settled nor expired yet (settled ones are dropped lazily). */
  get pending(): number {
    let n = 0;
    for (let i = this.#head; i < this.#queue.length; i++) if (!this.#queue[i]?.settled) n++;
    return n;
  }

  /**
   * Resolves or rejects like `op`, or rejects with `OperationTimeoutError` once the
   * timeout passes. `op` itself is not cancelled: its late result is ignored.
   */
  run<T>(op: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        deadline: this.#clock.now() + this.#timeoutMs,
        settled: false,
        reject,
      };
      this.#queue.push(entry);
      if (this.#timer === undefined) this.#arm(this.#timeoutMs);
      op.then(
        (value) => {
          if (entry.settled) return;
          entry.settled = true;
          resolve(value);
        },
        (err: unknown) => {
          if (entry.settled) return;
          entry.settled = true;
          reject(err);
        },
      );
    });
  }

  /** Stops the timer; operations still pending then never time out. */
  dispose(): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  #arm(ms: number): void {
    this.#timer = this.#clock.setTimer(() => this.#expire(), Math.max(0, ms));
  }

  #expire(): void {
    this.#timer = undefined;
    const now = this.#clock.now();
    const q = this.#queue;
    while (this.#head < q.length) {
      const entry = q[this.#head];
      if (entry === undefined) break;
      if (!entry.settled) {
        if (entry.deadline > now) break;
        entry.settled = true;
        entry.reject(new OperationTimeoutError(this.#timeoutMs));
      }
      this.#head++;
    }
    // Compact once the consumed prefix dominates, keeping push/shift amortised O(1).
    if (this.#head > 1024 && this.#head * 2 > q.length) {
      this.#queue = q.slice(this.#head);
      this.#head = 0;
    }
    const next = this.#queue[this.#head];
    if (next !== undefined) this.#arm(next.deadline - now);
    else {
      this.#queue = [];
      this.#head = 0;
    }
  }
}
