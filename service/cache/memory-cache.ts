import { LRUCache } from 'lru-cache';
import type { Cache, CacheSize, SetOptions } from './cache.ts';
import { CacheError, fail, ok, type Result } from './result.ts';

/** Options of `MemoryCache`. */
export interface MemoryCacheOptions {
  /** Most entries held; least recently used go first. @default 10_000 */
  readonly maxEntries?: number;
  /**
   * Most bytes held, counted per entry as its JSON in UTF-16 (×2) + key + 64 (the frozen
   * copy kept is of that order). @default 64 MiB
   */
  readonly maxBytes?: number;
  /** Largest single value accepted, in bytes; larger ones are declined. @default maxBytes / 16 */
  readonly maxValueBytes?: number;
  /** Clock for TTLs, injectable for tests. @default performance.now */
  readonly now?: () => number;
}

interface Entry {
  /** A deep-frozen copy of the value, made through JSON. */
  readonly value: unknown;
  /** What the entry counts against `maxBytes` (its JSON's size, see `entryBytes`). */
  readonly bytes: number;
  readonly tags: readonly string[];
}

/**
 * In-process LRU cache (lru-cache), bounded by entries and bytes, with per-entry TTL.
 * A value is copied through JSON when set, as Redis would store it (a value that cannot
 * be serialised fails as `serialization` then, not later), and the copy is deep-frozen:
 * every get returns that same copy, which no caller can change. Parsing the JSON on
 * every get instead was the largest single cost of a cache hit served over HTTP.
 */
export class MemoryCache implements Cache {
  readonly impl = 'memory';
  private readonly lru: LRUCache<string, Entry>;
  private readonly byTag = new Map<string, Set<string>>();
  private readonly maxValueBytes: number;

  constructor(opts: MemoryCacheOptions = {}) {
    const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.maxValueBytes = opts.maxValueBytes ?? Math.floor(maxBytes / 16);
    this.lru = new LRUCache<string, Entry>({
      max: opts.maxEntries ?? 10_000,
      maxSize: maxBytes,
      sizeCalculation: (e) => e.bytes,
      ttlAutopurge: false,
      ttlResolution: 0,
      ...(opts.now ? { perf: { now: opts.now } } : {}),
      dispose: (e, key) => this.untag(key, e.tags),
    });
  }

  async get<T>(key: string): Promise<Result<T | undefined>> {
    return ok(this.lru.get(key)?.value as T | undefined);
  }

  async set<T>(key: string, value: T, opts: SetOptions): Promise<Result<boolean>> {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (err) {
      return fail(CacheError.from(err, 'serialization'));
    }
    if (json === undefined) return fail(new CacheError('serialization', 'value is not JSON'));
    const bytes = entryBytes(key, json);
    if (bytes > this.maxValueBytes) {
      return fail(
        new CacheError('value_too_large', `value of ${key} exceeds ${this.maxValueBytes} bytes`),
      );
    }
    const tags = opts.tags ?? [];
    const copy = deepFreeze(JSON.parse(json));
    this.lru.set(key, { value: copy, bytes, tags }, { ttl: Math.max(1, opts.ttlMs) });
    for (const t of tags) {
      const keys = this.byTag.get(t);
      if (keys) keys.add(key);
      else this.byTag.set(t, new Set([key]));
    }
    return ok(true);
  }

  async del(key: string): Promise<Result<boolean>> {
    return ok(this.lru.delete(key));
  }

  async invalidateTag(tag: string): Promise<Result<number>> {
    const keys = this.byTag.get(tag);
    if (!keys) return ok(0);
    let removed = 0;
    for (const k of [...keys]) if (this.lru.delete(k)) removed++;
    this.byTag.delete(tag);
    return ok(removed);
  }

  /** Entries currently held (expired ones may linger until touched). */
  get entries(): number {
    return this.lru.size;
  }

  /** Bytes currently held, as counted against `maxBytes`. */
  get bytes(): number {
    return this.lru.calculatedSize;
  }

  /** `entries` and `bytes`, for the size gauges. */
  async size(): Promise<CacheSize> {
    return { local: { entries: this.entries, bytes: this.bytes } };
  }

  async close(): Promise<void> {
    this.lru.clear();
    this.byTag.clear();
  }

  private untag(key: string, tags: readonly string[]): void {
    for (const t of tags) {
      const keys = this.byTag.get(t);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.byTag.delete(t);
    }
  }
}

/** Bytes an entry costs: JS strings are UTF-16, plus a fixed overhead per entry. */
function entryBytes(key: string, json: string): number {
  return (key.length + json.length) * 2 + 64;
}

/** Freezes a JSON value and everything in it (JSON has no cycles). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}
