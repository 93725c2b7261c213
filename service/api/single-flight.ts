interface Flight {
  readonly promise: Promise<unknown>;
  readonly tags: readonly string[];
}

/**
 * Collapses concurrent loads of one key into one: while a load for `key` runs, callers
 * for the same key share its promise. Nothing is kept after it settles. A write can
 * `forget` running loads, so readers arriving after it start a new load instead of
 * sharing one that may have read the data before the write.
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, Flight>();

  /** Runs `load` unless a load for `key` is already running, then shares that one. */
  do<T>(key: string, load: () => Promise<T>, tags: readonly string[] = []): Promise<T> {
    const running = this.inFlight.get(key);
    if (running) return running.promise as Promise<T>;
    const flight = {
      promise: load().finally(() => {
        if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
      }),
      tags,
    };
    this.inFlight.set(key, flight);
    return flight.promise;
  }

  /** Whether a load for `key` is running. */
  has(key: string): boolean {
    return this.inFlight.has(key);
  }

  /** Later callers of `key`, or of any key loaded with tag `tag`, no longer share running loads. */
  forget(key: string, tag?: string): void {
    this.inFlight.delete(key);
    if (tag === undefined) return;
    for (const [k, f] of this.inFlight) if (f.tags.includes(tag)) this.inFlight.delete(k);
  }

  /** Loads currently running. */
  get size(): number {
    return this.inFlight.size;
  }
}
