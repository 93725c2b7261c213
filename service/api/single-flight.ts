interface Flight {
  readonly promise: Promise<unknown>;
  readonly tags: readonly string[];
}

interface Settled extends Flight {
  /** When it settled, on the same clock as read tickets. */
  readonly seq: number;
}

/** A read that may join a load: taken before its cache get (`SingleFlight.begin`). */
export type ReadTicket = number;

/**
 * Collapses concurrent loads of one key into one: while a load for `key` runs, callers
 * for the same key share its promise. A write can `forget` running loads, so readers
 * arriving after it start a new load instead of sharing one that may have read the data
 * before the write.
 *
 * A reader looks in the cache first and only then joins a load. Between the two, the load
 * of its key may have finished: its cache get went out before the value was stored and
 * came back empty after the load left the table. Such a reader shows its ticket (taken
 * before the get) and gets the value of a load that settled after the ticket, instead of
 * starting a second load. A settled load is kept only while a ticket older than it is
 * open; tickets close when their reader joins or leaves, so the table stays small.
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, Flight>();
  /** Loads that settled (successfully) while some ticket was open, oldest first. */
  private readonly settled = new Map<string, Settled>();
  /** Open tickets, oldest first (tickets only grow, so insertion order is age order). */
  private readonly open = new Set<ReadTicket>();
  private seq = 0;

  /** Opens a read ticket: call before the reader's cache get, `end` it when done. */
  begin(): ReadTicket {
    const ticket = ++this.seq;
    this.open.add(ticket);
    return ticket;
  }

  /** Closes a ticket (twice is harmless) and drops settled loads no open ticket predates. */
  end(ticket: ReadTicket): void {
    if (!this.open.delete(ticket) || this.settled.size === 0) return;
    const oldest = this.open.values().next();
    const floor = oldest.done ? Number.POSITIVE_INFINITY : oldest.value;
    for (const [key, s] of this.settled) {
      if (s.seq > floor) break;
      this.settled.delete(key);
    }
  }

  /**
   * Runs `load` unless a load for `key` is already running, then shares that one; with a
   * ticket, also shares a load of `key` that settled after the ticket was taken.
   */
  do<T>(
    key: string,
    load: () => Promise<T>,
    tags: readonly string[] = [],
    ticket?: ReadTicket,
  ): Promise<T> {
    const joined = this.joinable(key, ticket);
    if (joined) return joined.promise as Promise<T>;
    const promise = load();
    const flight: Flight = { promise, tags };
    this.inFlight.set(key, flight);
    const leave = () => {
      if (this.inFlight.get(key) !== flight) return false; // forgotten by a write
      this.inFlight.delete(key);
      return true;
    };
    promise.then(
      () => {
        if (!leave() || this.open.size === 0) return;
        this.settled.delete(key); // re-inserted last: the map stays in settle order
        this.settled.set(key, { promise, tags, seq: ++this.seq });
      },
      () => void leave(),
    );
    return promise;
  }

  /** Whether a caller of `key` (with `ticket`) would share a load rather than start one. */
  has(key: string, ticket?: ReadTicket): boolean {
    return this.joinable(key, ticket) !== undefined;
  }

  /** Later callers of `key`, or of any key loaded with tag `tag`, no longer share loads. */
  forget(key: string, tag?: string): void {
    this.inFlight.delete(key);
    this.settled.delete(key);
    if (tag === undefined) return;
    for (const [k, f] of this.inFlight) if (f.tags.includes(tag)) this.inFlight.delete(k);
    for (const [k, f] of this.settled) if (f.tags.includes(tag)) this.settled.delete(k);
  }

  /** Loads currently running. */
  get size(): number {
    return this.inFlight.size;
  }

  /** Settled loads still kept for open tickets (bounded by what settles during a get). */
  get keptSize(): number {
    return this.settled.size;
  }

  private joinable(key: string, ticket: ReadTicket | undefined): Flight | undefined {
    const running = this.inFlight.get(key);
    if (running) return running;
    if (ticket === undefined) return undefined;
    const s = this.settled.get(key);
    return s && s.seq > ticket ? s : undefined;
  }
}
