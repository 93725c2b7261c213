/** The outcome of trying to take the load lock of a key. */
export type LockAttempt =
  | { readonly state: 'acquired'; release(): Promise<void> }
  /** Another replica holds it: it is loading this key now. */
  | { readonly state: 'busy' }
  /** The lock store failed (timeout, connection): the caller loads without it. */
  | { readonly state: 'unavailable'; readonly reason: string };

/**
 * Cross-replica stampede control: at most one holder per key for a short time. The lock
 * must never become a new way to fail, so `acquire` always resolves (errors are
 * `unavailable`, and the caller then loads as if there were no lock).
 */
export interface LoadLock {
  acquire(key: string): Promise<LockAttempt>;
  /** How long a non-holder waits for the holder's value before loading itself, ms. */
  readonly waitMs: number;
  close(): Promise<void>;
}
