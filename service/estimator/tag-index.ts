/**
 * Which sampled keys carry which tag, so a modelled `invalidateTag` can remove exactly
 * those keys from their patterns' models. Only sampled keys are added (the caller checks),
 * and at most `maxEntries` (tag, key) pairs are kept: past it the oldest tags are forgotten
 * (their keys then stay in the model until they expire: the estimate turns optimistic for
 * them, never wrong about anything else).
 */
export class TagIndex {
  private readonly byTag = new Map<string, Array<readonly [string, string]>>();
  private size = 0;

  constructor(private readonly maxEntries: number) {
    if (!(Number.isInteger(maxEntries) && maxEntries > 0))
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  /** Remembers that `key` of `pattern` carries `tag` (idempotent). */
  add(tag: string, pattern: string, key: string): void {
    let keys = this.byTag.get(tag);
    if (!keys) {
      keys = [];
      this.byTag.set(tag, keys);
    } else if (keys.some(([p, k]) => k === key && p === pattern)) return;
    keys.push([pattern, key]);
    this.size++;
    while (this.size > this.maxEntries) {
      const oldest = this.byTag.keys().next();
      if (oldest.done) break;
      this.size -= this.byTag.get(oldest.value)?.length ?? 0;
      this.byTag.delete(oldest.value);
    }
  }

  /** The (pattern, key) pairs of `tag`, forgotten as they are returned (the tag set is gone). */
  take(tag: string): ReadonlyArray<readonly [string, string]> {
    const keys = this.byTag.get(tag);
    if (!keys) return [];
    this.byTag.delete(tag);
    this.size -= keys.length;
    return keys;
  }

  /** (tag, key) pairs held. */
  get entries(): number {
    return this.size;
  }
}
