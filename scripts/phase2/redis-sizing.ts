import {
  dictBucketBytes,
  REDIS_BASELINE_BYTES,
  REDIS_CLIENT_BYTES,
  REDIS_STALE_FRACTION,
} from '../../service/estimator/redis-memory.ts';
import type { Candidate } from './candidates.ts';
import { hitRatioAt } from './curve.ts';

/** The eviction the sizing assumes; the report states it and Phase 3 must configure it. */
export const REDIS_POLICY = { maxmemoryPolicy: 'allkeys-lru', maxmemorySamples: 5 } as const;

/** What one whitelisted pattern is expected to get from the shared Redis. */
export interface PatternShare {
  readonly pattern: string;
  /** Redis bytes the pattern is expected to hold under the recommended `maxmemory`. */
  readonly allottedBytes: number;
  /** Hit ratio Phase 3 should measure for it (the promise: within ±0.03). */
  readonly expectedHitRatio: number;
}

/** Redis sizing of a whitelist. */
export interface RedisSizing {
  readonly maxmemoryPolicy: string;
  readonly maxmemorySamples: number;
  /** Σ memory of the patterns at their recommended sizes, shared tag sets counted once. */
  readonly dataBytes: number;
  /** Main and expires hash tables for the keys that data holds. */
  readonly hashTableBytes: number;
  /** An empty Redis with the service's clients connected. */
  readonly baselineBytes: number;
  readonly headroom: number;
  readonly maxmemoryBytes: number;
  /** `maxmemory` for redis.conf / CONFIG SET, in bytes. */
  readonly maxmemory: string;
  /** `used_memory` Phase 3 should read once warm: ±10 % is the promise. */
  readonly predictedUsedMemoryBytes: number;
  /** True when the working sets do not fit and Redis will evict (used_memory ≈ maxmemory). */
  readonly evicting: boolean;
  readonly shares: PatternShare[];
}

/** The modelled tag sets of one tag pattern, all patterns' tags together. */
export interface TagSetsFacts {
  readonly entries: number;
  readonly bytes: number;
  /** Every pattern whose entries carry tags of this pattern (whitelisted or not). */
  readonly patterns: readonly string[];
}

interface Part {
  readonly c: Candidate;
  readonly bytes: number;
  readonly entries: number;
  readonly tagBytes: number;
  readonly fraction: number;
}

/**
 * Bytes, keys and hash tables of the parts, with the tag sets that patterns of one owner
 * share (`sheet:42` on sheet, rows, formula, comments) counted once: the modelled union
 * when every pattern of the owner is whitelisted; else the largest whitelisted pattern's.
 */
function total(
  parts: readonly Part[],
  tagSets: ReadonlyMap<string, TagSetsFacts>,
): { bytes: number; keys: number; tables: number } {
  let bytes = 0;
  let keys = 0;
  const groups = new Map<string, Part[]>();
  for (const p of parts) {
    bytes += p.bytes - p.tagBytes;
    keys += p.entries;
    const tag = p.c.tagSets?.tagPattern;
    if (tag !== undefined) groups.set(tag, [...(groups.get(tag) ?? []), p]);
  }
  for (const [tag, ps] of groups) {
    const union = tagSets.get(tag);
    const chosen = new Set(ps.map((p) => p.c.pattern));
    if (union?.patterns.every((p) => chosen.has(p))) {
      const f = ps.reduce((s, p) => s + p.fraction, 0) / ps.length;
      bytes += union.bytes * f;
      keys += union.entries * f;
    } else {
      const largest = ps.reduce((a, b) => (b.tagBytes > a.tagBytes ? b : a));
      bytes += largest.tagBytes;
      keys += largest.entries;
    }
  }
  return {
    bytes: bytes * (1 + REDIS_STALE_FRACTION),
    keys: keys * (1 + REDIS_STALE_FRACTION),
    tables: dictBucketBytes(keys * (1 + REDIS_STALE_FRACTION)),
  };
}

function partAt(c: Candidate, bytes: number): Part {
  const ws = c.workingSetBytes ?? bytes;
  const f = ws > 0 ? Math.min(1, bytes / ws) : 1;
  return {
    c,
    bytes,
    entries: (c.workingSetEntries ?? 0) * f,
    tagBytes: (c.tagSets?.bytes ?? 0) * f,
    fraction: f,
  };
}

/** Options of `sizeRedis`. */
export interface SizingOptions {
  readonly headroom: number;
  /** Pods that will connect (each adds its connection's buffers). @default 1 */
  readonly pods?: number;
  /** Modelled tag sets per tag pattern. @default none (largest pattern's tag sets) */
  readonly tagSets?: ReadonlyMap<string, TagSetsFacts>;
  /** `used_memory` of an empty Redis after the first script. @default REDIS_BASELINE_BYTES */
  readonly baselineBytes?: number;
}

/**
 * Sizes one Redis (`allkeys-lru`) for `chosen`: `maxmemory` = (baseline + hash tables + Σ
 * recommended memory) × headroom. Then predicts what Phase 3 reads: when every working set
 * fits under `maxmemory`, each pattern holds its whole working set and reaches its best hit
 * ratio; otherwise Redis is full and each pattern's share shrinks in proportion.
 */
export function sizeRedis(chosen: readonly Candidate[], o: SizingOptions): RedisSizing | null {
  const headroom = o.headroom;
  const baselineBytes =
    (o.baselineBytes ?? REDIS_BASELINE_BYTES) + REDIS_CLIENT_BYTES * (o.pods ?? 1);
  const tagSets = o.tagSets ?? new Map<string, TagSetsFacts>();
  const usable = chosen.filter((c) => c.memoryBytes !== null && c.memoryBytes > 0);
  if (usable.length === 0) return null;
  const rec = total(
    usable.map((c) => partAt(c, c.memoryBytes ?? 0)),
    tagSets,
  );
  const maxmemoryBytes =
    Math.ceil(((baselineBytes + rec.tables + rec.bytes) * headroom) / 65_536) * 65_536;
  const all = total(
    usable.map((c) => partAt(c, c.workingSetBytes ?? c.memoryBytes ?? 0)),
    tagSets,
  );
  const capacity = maxmemoryBytes - baselineBytes - all.tables;
  const evicting = all.bytes > capacity;
  const scale = evicting ? Math.max(0, capacity) / Math.max(1, rec.bytes) : 1;
  const shares = usable.map((c): PatternShare => {
    const ws = c.workingSetBytes ?? c.memoryBytes ?? 0;
    const allotted = evicting ? Math.min(ws, (c.memoryBytes ?? 0) * scale) : ws;
    const expected =
      !evicting || allotted >= ws ? (c.maxHitRatio ?? 0) : hitRatioAt(c.curve, allotted);
    return { pattern: c.pattern, allottedBytes: Math.round(allotted), expectedHitRatio: expected };
  });
  return {
    maxmemoryPolicy: REDIS_POLICY.maxmemoryPolicy,
    maxmemorySamples: REDIS_POLICY.maxmemorySamples,
    dataBytes: Math.round(rec.bytes),
    hashTableBytes: rec.tables,
    baselineBytes,
    headroom,
    maxmemoryBytes,
    maxmemory: String(maxmemoryBytes),
    predictedUsedMemoryBytes: evicting
      ? maxmemoryBytes
      : Math.round(baselineBytes + all.tables + all.bytes),
    evicting,
    shares,
  };
}
