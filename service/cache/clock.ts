/**
 * Time as a dependency: the breaker and the timeout queue read `now()` and arm timers
 * through this, so unit tests drive them with a fake clock instead of sleeping.
 */
export interface Clock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Calls `fn` after `ms`; the returned handle goes to `clearTimer`. */
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
  /**
   * Runs `fn` once pending I/O callbacks have run (Node: `setImmediate`). A deadline check
   * deferred like this sees replies that arrived while the event loop was blocked, so a
   * stalled loop is not blamed on Redis. @default runs `fn` at once
   */
  afterIo?(fn: () => void): void;
}

/** The real clock: `performance.now()` and unref'd Node timers (they never keep a process alive). */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
  afterIo: (fn) => {
    setImmediate(fn);
  },
};
