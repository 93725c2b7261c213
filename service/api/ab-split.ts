import { fnv1a32 } from '../fnv1a.ts';
import type { Variant } from '../metrics/names.ts';

/**
 * Assigns a request to an A/B variant by a stable key (a user or sheet id), so the
 * same user always lands in the same group: `control` bypasses the cache, `treatment`
 * uses it, `off` when no split is configured. FNV-1a over the key, modulo 100.
 */
export function abVariant(stableKey: string, controlPercent: number): Variant {
  if (controlPercent <= 0) return 'off';
  return bucketOf(stableKey) < controlPercent ? 'control' : 'treatment';
}

/** The key's bucket in [0, 100). */
export function bucketOf(stableKey: string): number {
  let h = fnv1a32(stableKey);
  // Fold the high bits in: FNV's low bits alone are poorly mixed for short keys.
  h ^= h >>> 16;
  return (h >>> 0) % 100;
}
