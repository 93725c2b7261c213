import type { Result } from './result.ts';

/** Receives the reply for its key, or the batch's error. */
export type BatchWaiter = (reply: Result<string | null>) => void;

/**
 * Receives the whole batch's replies and the index of its own key in them (no per-get
 * Result is built: the caller maps its reply straight into its own Result).
 */
export type BatchReader = (replies: Result<(string | null)[]>, index: number) => void;

/**
 * Collects the GETs issued in one turn of the event loop (until the microtask queue
 * drains) and sends them as one batch: `send(keys)` resolves to one reply per key, in
 * order. A key asked for several times in one turn (a hot key) is sent once and its
 * reply handed to each waiter. A full batch (`maxBatch` distinct keys) goes at once. One
 * command per batch instead of one per key is what lets ~10^5 concurrent gets per second
 * fit in one Node core.
 */
export class GetBatcher {
  #keys: string[] = [];
  /** Position of each key of the pending batch in `#keys`. */
  #index = new Map<string, number>();
  #readers: BatchReader[] = [];
  #slots: number[] = [];
  #scheduled = false;

  /** @param maxBatch keys per batch, >= 1. @param send fetches the keys; must not reject. */
  constructor(
    private readonly maxBatch: number,
    private readonly send: (keys: string[]) => Promise<Result<(string | null)[]>>,
  ) {
    if (!(maxBatch >= 1)) throw new RangeError(`maxBatch must be >= 1, got ${maxBatch}`);
  }

  add(key: string, waiter: BatchWaiter): void {
    this.read(key, (r, i) => waiter(r.ok ? { ok: true, value: r.value[i] ?? null } : r));
  }

  /** Like `add`, but `reader` maps the batch's replies itself (the hot path). */
  read(key: string, reader: BatchReader): void {
    let slot = this.#index.get(key);
    if (slot === undefined) {
      slot = this.#keys.length;
      this.#keys.push(key);
      this.#index.set(key, slot);
    }
    this.#slots.push(slot);
    this.#readers.push(reader);
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
    const readers = this.#readers;
    const slots = this.#slots;
    this.#keys = [];
    this.#index = new Map();
    this.#readers = [];
    this.#slots = [];
    void this.send(keys).then((r) => {
      for (let i = 0; i < readers.length; i++) readers[i]?.(r, slots[i] ?? 0);
    });
  };
}
