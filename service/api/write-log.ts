/** Where a load started in the write log (`WriteLog.stamp`). */
export type WriteStamp = number;

/** Tags remembered at most; past it the log forgets and treats every older load as overlapped. */
const MAX_REMEMBERED = 10_000;

/**
 * Which loads overlapped a write, by tag. A load takes a stamp before it reads the source;
 * a write marks the tags of what it changes (`sheet:42`) before it writes. A load whose
 * key or tags were marked after its stamp may have read the data before the write, so it
 * is not cached. Loads of other keys are not affected by the write.
 *
 * The log is bounded: it forgets everything when no load is running, and when it holds
 * more than 10,000 tags (then loads that started before are treated as overlapped, which
 * only costs them their store).
 */
export class WriteLog {
  private seq = 0;
  /** Loads with stamps below this started before the log last forgot: assume overlapped. */
  private floor = 0;
  private running = 0;
  private readonly lastWrite = new Map<string, number>();

  /** A load starts: its stamp. Pair with `finish`. */
  stamp(): WriteStamp {
    this.running++;
    return this.seq;
  }

  /** A load ends; with none running, the log forgets. */
  finish(): void {
    this.running = Math.max(0, this.running - 1);
    if (this.running === 0 && this.lastWrite.size > 0) this.forgetAll();
  }

  /** A write is about to change what `tags` cover. */
  write(tags: readonly string[]): void {
    this.seq++;
    for (const t of tags) this.lastWrite.set(t, this.seq);
    if (this.lastWrite.size > MAX_REMEMBERED) this.forgetAll();
  }

  /** Whether a write to `key` or one of `tags` happened since `stamp`. */
  overlapped(stamp: WriteStamp, key: string, tags: readonly string[]): boolean {
    if (stamp < this.floor) return true;
    if ((this.lastWrite.get(key) ?? 0) > stamp) return true;
    for (const t of tags) if ((this.lastWrite.get(t) ?? 0) > stamp) return true;
    return false;
  }

  /** Tags remembered now (bounded). */
  get size(): number {
    return this.lastWrite.size;
  }

  private forgetAll(): void {
    this.lastWrite.clear();
    this.seq++;
    this.floor = this.seq;
  }
}
