import calculateSlot from 'cluster-key-slot';

const SLOTS = 16384;
let table: string[] | undefined;

/**
 * A short string that hashes to `slot` (CRC16 mod 16384), so that `{<it>}` in a key name
 * places the key in that slot. The table of all 16384 is built once, on first use
 * (~170k CRC16s of short strings, a few tens of ms).
 */
export function slotHashTag(slot: number): string {
  if (table === undefined) {
    const t = new Array<string>(SLOTS);
    let found = 0;
    for (let i = 0; found < SLOTS; i++) {
      const s = i.toString(36);
      const slotOfS = calculateSlot(s);
      if (t[slotOfS] === undefined) {
        t[slotOfS] = s;
        found++;
      }
    }
    table = t;
  }
  const tag = table[slot];
  if (tag === undefined) throw new RangeError(`slot must be 0..${SLOTS - 1}, got ${slot}`);
  return tag;
}

/**
 * The Cluster key layout of tags. Lua may only touch keys of one slot, and a value's slot
 * is fixed by its key name (gets know nothing else), so a tag is split per slot:
 *
 * - `<prefix>t:{<slot tag>}<tag>` — the members of `tag` that live in that slot; written
 *   together with the value in one Lua call (atomic), and emptied in one Lua call;
 * - `<prefix>ts:<tag>` — the slots where `tag` has members (a set of slot hash tags).
 *
 * A tagged set first records its slot in the registry, then writes value + per-slot set.
 * `invalidateTag` reads the registry, then empties every listed slot. So every value
 * written before `invalidateTag` began is gone when it returns; within one slot the
 * removal is atomic, across slots it is not (a reader during the call may see one slot's
 * keys gone and another's still there). Registry entries are never removed (a concurrent
 * set may be relying on one); they expire with the tag's longest-lived member.
 */
export const clusterTagKeys = {
  perSlot: (prefix: string, slot: number, tag: string): string =>
    `${prefix}t:{${slotHashTag(slot)}}${tag}`,
  registry: (prefix: string, tag: string): string => `${prefix}ts:${tag}`,
  perSlotFromHashTag: (prefix: string, hashTag: string, tag: string): string =>
    `${prefix}t:{${hashTag}}${tag}`,
};
