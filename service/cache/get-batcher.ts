import type { Result } from './result.ts';

/** Receives the reply for its key, or the batch's error. */
export type BatchWaiter = (reply: Result<string | null>) => void;

/**
 * Collects the GETs issued in one turn of the event loop (until the microtask queue
 * drains) and sends them as one batch: `send(keys)` resolves to one reply per key, in
 * order. A full batch (`maxBatch`) goes at once. One command per batch instead of one
 * per key is what lets ~10^5 concurrent gets per second fit in one Node core.
 */
export class GetBatcher {
  #keys: string[] = [];
  #waiters: BatchWaiter[] = [];
  #scheduled = false;

  /** @param maxBatch keys per batch, >= 1. @param send fetches the keys; must not reject. */
  constructor(
    private readonly maxBatch: number,
    private readonly send: (keys: string[]) => Promise<Result<(string | null)[]>>,
  ) {
    if (!(maxBatch >= 1)) throw new RangeError(`maxBatch must be >= 1, got ${maxBatch}`);
  }

  add(key: string, waiter: BatchWaiter): void {
    this.#keys.push(key);
    this.#waiters.push(waiter);
    if (this.#keys.length >= this.maxBatch) this.#flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    if (this.#keys.length === 0) return;
    const keys = this.#keys;
    const waiters = this.#waiters;
    this.#keys = [];
    this.#waiters = [];
    void this.send(keys).then((r) => {
      for (let i = 0; i < waiters.length; i++) {
        waiters[i]?.(r.ok ? { ok: true, value: r.value[i] ?? null } : r);
      }
    });
  };
}
