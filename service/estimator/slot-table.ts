/**
 * Open-addressing hash table (linear probing, backward-shift deletion) from a 64-bit key
 * identity `(idA, idB)` to a slot number, in typed arrays so its memory is fixed and
 * countable. `idB` picks the home bucket: `idA` is the sampling hash, whose high bits
 * are all zero at low sampling rates.
 */
export class SlotTable {
  private table: Int32Array;
  private mask: number;

  constructor(
    capacity: number,
    private readonly idA: () => Uint32Array,
    private readonly idB: () => Uint32Array,
  ) {
    const size = tableSize(capacity);
    this.table = new Int32Array(size).fill(-1);
    this.mask = size - 1;
  }

  get byteLength(): number {
    return this.table.byteLength;
  }

  /** The slot holding `(a, b)`, or -1. */
  find(a: number, b: number): number {
    const ida = this.idA();
    const idb = this.idB();
    for (let i = b & this.mask; ; i = (i + 1) & this.mask) {
      const s = this.table[i] ?? -1;
      if (s < 0) return -1;
      if (ida[s] === a && idb[s] === b) return s;
    }
  }

  /** Adds `slot` (whose ids are already written) to the table. */
  insert(slot: number): void {
    let i = (this.idB()[slot] ?? 0) & this.mask;
    while ((this.table[i] ?? -1) >= 0) i = (i + 1) & this.mask;
    this.table[i] = slot;
  }

  /** Removes `slot` from the table. */
  remove(slot: number): void {
    const idb = this.idB();
    let i = (idb[slot] ?? 0) & this.mask;
    while ((this.table[i] ?? -1) !== slot) {
      if ((this.table[i] ?? -1) < 0) return;
      i = (i + 1) & this.mask;
    }
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      const s = this.table[j] ?? -1;
      if (s < 0) break;
      const home = (idb[s] ?? 0) & this.mask;
      // Move s back into the hole unless its home lies cyclically in (i, j].
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        this.table[i] = s;
        i = j;
      }
    }
    this.table[i] = -1;
  }

  /** Rebuilds for a larger capacity from the live slots. */
  rebuild(capacity: number, liveSlots: Iterable<number>): void {
    const size = tableSize(capacity);
    this.table = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    for (const s of liveSlots) this.insert(s);
  }
}

/** A power of two ≥ 2 × capacity, so the load factor stays ≤ 0.5. */
export function tableSize(capacity: number): number {
  let size = 16;
  while (size < 2 * capacity) size *= 2;
  return size;
}
