/** FNV-1a's 32-bit offset basis, the usual seed. */
export const FNV1A_OFFSET_BASIS = 0x811c9dc5;

const FNV1A_PRIME = 0x01000193;

/**
 * 32-bit FNV-1a over the UTF-16 code units of `key`, unsigned. Its low bits are poorly
 * mixed for short, similar keys (`sheet:1`, `sheet:2`): callers fold or finalise the
 * result before taking a modulus or a threshold (see `bucketOf`, `samplingHash`).
 */
export function fnv1a32(key: string, seed: number = FNV1A_OFFSET_BASIS): number {
  let h = seed;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, FNV1A_PRIME);
  }
  return h >>> 0;
}
