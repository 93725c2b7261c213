import { CacheError, fail, type Result } from './result.ts';

const NO_RESULT: Result<boolean> = Object.freeze(
  fail(new CacheError('internal', 'the batch returned no result for this write')),
);

/** One write waiting for its batch: value key, JSON, TTL (ms, as sent) and tag-set keys. */
export interface PendingSet {
  readonly key: string;
  readonly json: string;
  readonly ttl: string;
  readonly tagKeys: readonly string[];
}

/** Receives the outcome of its own write. */
export type SetWaiter = (result: Result<boolean>) => void;

/**
 * Collects the sets issued in one turn of the event loop (until the microtask queue
 * drains) and sends them as one batch: `send(entries)` resolves to one Result per entry,
 * in order. A batch goes at once when it reaches `maxBatch` entries or `maxChars` of
 * JSON, and whenever `flush()` is called (before any other command to the same node, so
 * writes keep their order relative to gets, deletes and invalidations).
 */
export class SetBatcher {
  #entries: PendingSet[] = [];
  #waiters: SetWaiter[] = [];
  #chars = 0;
  #scheduled = false;

  /**
   * @param maxBatch entries per batch, >= 1. @param maxChars JSON characters per batch
   * (a batch holds at least one entry). @param send writes the entries; must not reject.
   */
  constructor(
    private readonly maxBatch: number,
    private readonly maxChars: number,
    private readonly send: (entries: PendingSet[]) => Promise<readonly Result<boolean>[]>,
  ) {
    if (!(maxBatch >= 1)) throw new RangeError(`maxBatch must be >= 1, got ${maxBatch}`);
  }

  /** Whether writes are waiting for the end of the turn. */
  get pending(): boolean {
    return this.#entries.length > 0;
  }

  add(entry: PendingSet, waiter: SetWaiter): void {
    this.#entries.push(entry);
    this.#waiters.push(waiter);
    this.#chars += entry.json.length;
    if (this.#entries.length >= this.maxBatch || this.#chars >= this.maxChars) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#scheduledFlush);
    }
  }

  /** Sends what is waiting now (nothing when empty). */
  flush(): void {
    if (this.#entries.length === 0) return;
    const entries = this.#entries;
    const waiters = this.#waiters;
    this.#entries = [];
    this.#waiters = [];
    this.#chars = 0;
    void this.send(entries).then((results) => {
      for (let i = 0; i < waiters.length; i++) waiters[i]?.(results[i] ?? NO_RESULT);
    });
  }

  readonly #scheduledFlush = (): void => {
    this.#scheduled = false;
    this.flush();
  };
}
