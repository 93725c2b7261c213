/**
 * 32-bit string hashes for spatial sampling: FNV-1a over UTF-16 code units followed
 * by the murmur3 `fmix32` finaliser, because plain FNV-1a leaves the low bits of short,
 * similar keys (`sheet:1`, `sheet:2`) correlated and SHARDS needs a uniform threshold test.
 */

import { FNV1A_OFFSET_BASIS, fnv1a32 } from '../fnv1a.ts';

function fmix32(h0: number): number {
  let h = h0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The sampling hash (uniform on [0, 2^32)): a key is sampled while `samplingHash(key) < threshold`. */
export function samplingHash(key: string): number {
  return fmix32(fnv1a32(key, FNV1A_OFFSET_BASIS));
}

/**
 * An independent second hash; with `samplingHash` it forms a 64-bit key identity, so the
 * estimator stores no key strings and its memory per tracked key is fixed.
 */
export function identityHash(key: string): number {
  return fmix32(fnv1a32(key, 0x2f3a9c17));
}
