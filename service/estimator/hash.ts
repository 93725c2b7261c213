/**
 * 32-bit string hashes for spatial sampling: FNV-1a over UTF-16 code units followed
 * by the murmur3 `fmix32` finaliser, because plain FNV-1a leaves the low bits of short,
 * similar keys (`sheet:1`, `sheet:2`) correlated and SHARDS needs a uniform threshold test.
 */

const FNV_PRIME = 0x01000193;

function fmix32(h0: number): number {
  let h = h0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function fnv1a(key: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return fmix32(h);
}

/** The sampling hash (uniform on [0, 2^32)): a key is sampled while `samplingHash(key) < threshold`. */
export function samplingHash(key: string): number {
  return fnv1a(key, 0x811c9dc5);
}

/**
 * An independent second hash; with `samplingHash` it forms a 64-bit key identity, so the
 * estimator stores no key strings and its memory per tracked key is fixed.
 */
export function identityHash(key: string): number {
  return fnv1a(key, 0x2f3a9c17);
}
