/**
 * Collapses concurrent loads of one key into one: while a load for `key` runs, callers
 * for the same key share its promise. Nothing is kept after it settles.
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  /** Runs `load` unless a load for `key` is already running, then shares that one. */
  do<T>(key: string, load: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key);
    if (running) return running as Promise<T>;
    const p = load().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  /** Loads currently running. */
  get size(): number {
    return this.inFlight.size;
  }
}
