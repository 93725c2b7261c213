/**
 * What Redis 7.0 (jemalloc, 64-bit) allocates for the service's key layout, counted the way
 * `INFO memory` `used_memory` counts it (jemalloc size classes, not requested bytes).
 * One cached entry is: the value key `<prefix>v:<key>` (string, with a TTL) and, per tag,
 * a member in the tag set `<prefix>t:<tag>` (a set with a TTL). Calibrated against a real
 * Redis 7.0.15 in `redis-memory.redis.test.ts` (per-entry `used_memory` within a few %).
 *
 * Sources (Redis 7.0): `dictEntry` 24 B; `robj` 16 B; embedded strings up to 44 B
 * (`OBJ_ENCODING_EMBSTR_SIZE_LIMIT`); keys are `sdsdup`ed (sdshdr5 below 32 B); sets of
 * non-integer members are hash tables (listpack sets arrived in 7.2); `struct dict` 56 B;
 * hash tables start at 4 buckets of 8 B and double when full.
 */

/** jemalloc's size class for an allocation of `n` bytes (lg quantum 16 B, 4 classes per doubling). */
export function jemallocSize(n: number): number {
  if (n <= 8) return 8;
  if (n <= 128) return Math.ceil(n / 16) * 16;
  const p = 2 ** Math.floor(Math.log2(n - 1));
  const step = p / 4;
  return Math.ceil(n / step) * step;
}

/** sds allocation of a string of `len` bytes made by `sdsnewlen`/`sdsdup` (header by length). */
export function sdsBytes(len: number): number {
  const header = len < 32 ? 1 : len < 256 ? 3 : len < 65_536 ? 5 : 9;
  return jemallocSize(header + len + 1);
}

const DICT_ENTRY = jemallocSize(24);
const ROBJ = jemallocSize(16);
const DICT_STRUCT = jemallocSize(56);
/** Largest string Redis embeds in its robj allocation. */
const EMBSTR_LIMIT = 44;

/** Allocation of a string value of `len` bytes stored by SET. */
export function stringValueBytes(len: number): number {
  if (len <= EMBSTR_LIMIT) return jemallocSize(ROBJ + 3 + len + 1);
  return ROBJ + sdsBytes(len);
}

/** A key in the keyspace with a TTL: key sds + main dict entry + expires dict entry. */
function keyWithTtlBytes(keyLen: number): number {
  return sdsBytes(keyLen) + 2 * DICT_ENTRY;
}

/** Bytes of a set's hash table with `members` members (4 buckets minimum, doubling when full). */
export function setTableBytes(members: number): number {
  let size = 4;
  while (size < members) size *= 2;
  return size * 8;
}

/** What one cached entry costs, split so that shared tag sets can be counted once. */
export interface EntryBytes {
  /** The value key: key sds, dict entries (main + expires), robj + value. */
  readonly value: number;
  /** Its membership in every tag set: a set dict entry + the member sds, per tag. */
  readonly tagMembers: number;
  /** The tag sets themselves (key, dict entries, robj, dict, 4-bucket table), one per tag. */
  readonly tagSets: number;
}

/** The layout options the memory model needs (the RedisCache key layout). */
export interface RedisLayout {
  /** `REDIS_KEY_PREFIX`, e.g. `metasheet:staging:`. */
  readonly keyPrefix: string;
}

/** Byte length of an ASCII/UTF-8 string without allocating (keys are short). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Redis bytes of one entry of `key` (value of `valueBytes` UTF-8 bytes, JSON) with `tags`,
 * excluding the main and expires hash-table buckets (they depend on the total key count:
 * see `dictBucketBytes`).
 */
export function entryBytes(
  layout: RedisLayout,
  key: string,
  valueBytes: number,
  tags: readonly string[],
): EntryBytes {
  const p = utf8Length(layout.keyPrefix);
  const valueKeyLen = p + 2 + utf8Length(key);
  let tagMembers = 0;
  let tagSets = 0;
  for (const tag of tags) {
    tagMembers += DICT_ENTRY + sdsBytes(valueKeyLen);
    tagSets += tagSetBytes(layout, tag);
  }
  return {
    value: keyWithTtlBytes(valueKeyLen) + stringValueBytes(valueBytes),
    tagMembers,
    tagSets,
  };
}

/** Redis bytes of one tag set itself (key, dict entries, robj, dict, 4-bucket table), members aside. */
export function tagSetBytes(layout: RedisLayout, tag: string): number {
  return (
    keyWithTtlBytes(utf8Length(layout.keyPrefix) + 2 + utf8Length(tag)) +
    ROBJ +
    DICT_STRUCT +
    setTableBytes(1)
  );
}

/** Main + expires dict buckets for `keys` keys that all carry a TTL (tables double when full). */
export function dictBucketBytes(keys: number): number {
  if (keys <= 0) return 0;
  let size = 4;
  while (size < keys) size *= 2;
  return 2 * size * 8;
}

/**
 * `used_memory` of an empty Redis 7.0 once the service's scripts have run (measured: 915 KB
 * fresh, +125 KB at the first EVALSHA: the Lua client and its caches). Added once.
 */
export const REDIS_BASELINE_BYTES = 1_040_000;

/**
 * Expired keys Redis still holds: active expiry samples keys with a TTL and only works
 * harder while more than 10 % of a sample is expired, so up to ~10 % of such keys are
 * stale at any time. Predictions add half of that to the keys' bytes.
 */
export const REDIS_STALE_FRACTION = 0.05;

/** Per connected pod: its connection's query and reply buffers under load (measured ~35–45 KB). */
export const REDIS_CLIENT_BYTES = 40_000;
