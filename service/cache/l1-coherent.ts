import { LRUCache } from 'lru-cache';
import type { BreakerView } from './breaker-view.ts';
import type { Cache, CacheSize, SetOptions } from './cache.ts';
import type { Invalidation, InvalidationBus } from './invalidation-bus.ts';
import { CacheError, fail, ok, type Result } from './result.ts';

export interface L1CoherentCacheOptions {
  /** The shared cache behind the L1 (a RedisCache). Closed by `close()`. */
  readonly remote: Cache;
  /** Invalidation messages between replicas. Closed by `close()`. */
  readonly bus: InvalidationBus;
  /** Most entries held in process. @default 10000 */
  readonly maxEntries?: number;
  /** Most bytes (serialised JSON) held in process. @default 16 MiB */
  readonly maxBytes?: number;
  /** Longest an entry lives in L1; bounds staleness if a message is ever lost. @default 5000 */
  readonly ttlMs?: number;
  /** The `impl` metric label. @default the remote's (`redis`), so dashboards and alerts keep matching */
  readonly impl?: string;
}

interface Entry {
  readonly json: string;
  readonly tags: readonly string[];
}

/**
 * An in-process L1 in front of a shared remote cache, kept coherent across replicas:
 * every set/del/invalidateTag is published on the bus after the remote write (whatever
 * its outcome), and each replica drops the named keys/tags from its L1.
 *
 * Coherence rules: L1 is used only while the bus is coherent (subscribed) and is cleared
 * whenever that is lost. A fill from a remote read is kept only if no invalidation
 * arrived since the read started (a global epoch), so a late reply can never reinstate
 * a value another replica has just replaced. Values are held as JSON, so hits return
 * copies like the remote does.
 */
export class L1CoherentCache implements Cache {
  readonly impl: string;
  readonly #remote: Cache;
  readonly #bus: InvalidationBus;
  readonly #l1: LRUCache<string, Entry>;
  readonly #ttlMs: number;
  #epoch = 0;
  #hits = 0;

  constructor(opts: L1CoherentCacheOptions) {
    this.impl = opts.impl ?? opts.remote.impl;
    this.#remote = opts.remote;
    this.#bus = opts.bus;
    this.#ttlMs = opts.ttlMs ?? 5000;
    this.#l1 = new LRUCache<string, Entry>({
      max: opts.maxEntries ?? 10_000,
      maxSize: opts.maxBytes ?? 16 * 1024 * 1024,
      sizeCalculation: (e, key) => e.json.length + key.length + 64,
      ttl: this.#ttlMs,
    });
    this.#bus.onMessage((msg) => this.#apply(msg));
    this.#bus.onCoherence(() => {
      this.#epoch++;
      this.#l1.clear();
    });
  }

  /** The remote's circuit breaker (RedisCache), if it has one: L1 adds none of its own. */
  get breaker(): BreakerView | undefined {
    return this.#remote.breaker;
  }

  /** The remote's Redis size (scrape time only); the in-process L1 is not reported. */
  async size(patternOf: (key: string) => string): Promise<CacheSize> {
    const remote = await this.#remote.size?.(patternOf);
    return { redis: { snapshot: remote?.redis?.snapshot } };
  }

  /** Entries in L1 and L1 hits so far (for status pages and tests). */
  get l1Stats(): { entries: number; hits: number; coherent: boolean } {
    return { entries: this.#l1.size, hits: this.#hits, coherent: this.#bus.coherent };
  }

  async get<T = unknown>(key: string): Promise<Result<T | undefined>> {
    const coherent = this.#bus.coherent;
    if (coherent) {
      const hit = this.#l1.get(key);
      if (hit !== undefined) {
        this.#hits++;
        return ok(JSON.parse(hit.json) as T);
      }
    }
    const epoch = this.#epoch;
    const r = await this.#remote.get<T>(key);
    // Tags are unknown on a read fill, so tag invalidations also bump the epoch and clear by tag.
    if (coherent && r.ok && r.value !== undefined && epoch === this.#epoch && this.#bus.coherent) {
      let json: string;
      try {
        json = JSON.stringify(r.value);
      } catch (err) {
        // A value Redis holds but JSON cannot write back (nested too deep): a bad value,
        // reported as such so the layer above deletes it, never thrown into a request.
        return fail(CacheError.from(err, 'serialization'));
      }
      this.#l1.set(key, { json, tags: [] });
    }
    return r;
  }

  async set<T = unknown>(key: string, value: T, opts: SetOptions): Promise<Result<boolean>> {
    this.#forget({ keys: [key] });
    const epoch = this.#epoch;
    const r = await this.#remote.set(key, value, opts);
    // Published whatever the outcome: a failed or timed-out write may still have changed
    // (or, over the size limit, deleted) the value; dropping an L1 entry is always safe.
    await this.#bus.publish({ keys: [key] });
    if (!r.ok || !r.value) return r;
    if (epoch === this.#epoch && this.#bus.coherent) {
      const json = JSON.stringify(value);
      this.#l1.set(
        key,
        { json, tags: opts.tags ?? [] },
        { ttl: Math.min(this.#ttlMs, opts.ttlMs) },
      );
    }
    return r;
  }

  async del(key: string): Promise<Result<boolean>> {
    this.#forget({ keys: [key] });
    const r = await this.#remote.del(key);
    await this.#bus.publish({ keys: [key] });
    return r;
  }

  async invalidateTag(tag: string): Promise<Result<number>> {
    const remote = this.#remote;
    if (!hasTagKeys(remote)) {
      this.#forget({ tags: [tag] }, true);
      const r = await remote.invalidateTag(tag);
      await this.#bus.publish({ tags: [tag] });
      return r;
    }
    this.#forget({ tags: [tag] }, false);
    const r = await remote.invalidateTagKeys(tag);
    if (!r.ok) {
      // Which keys it held is unknown: everyone drops what might carry the tag.
      this.#forget({ tags: [tag] }, true);
      await this.#bus.publish({ tags: [tag] });
      return r;
    }
    const { keys, removed } = r.value;
    this.#forget({ keys }, false);
    // Naming the keys lets other replicas keep unrelated read-filled entries; a huge tag
    // falls back to "drop every entry whose tags you do not know".
    await this.#bus.publish(
      keys.length <= MAX_KEYS_PER_MESSAGE ? { keys, tags: [tag] } : { tags: [tag] },
    );
    return ok(removed);
  }

  async close(): Promise<void> {
    this.#l1.clear();
    await Promise.all([this.#bus.close(), this.#remote.close()]);
  }

  /** A message from another replica: named keys are exact; a tag alone is not. */
  #apply(msg: Invalidation): void {
    this.#forget(msg, msg.keys === undefined || msg.keys.length === 0);
  }

  /**
   * Drops `msg.keys` and every entry stored with one of `msg.tags`. L1 does not know the
   * tags of entries filled by reads, so unless the tag's keys are named (`dropUntagged`
   * false) those are dropped too.
   */
  #forget(msg: Invalidation, dropUntagged = true): void {
    this.#epoch++;
    for (const key of msg.keys ?? []) this.#l1.delete(key);
    const tags = msg.tags ?? [];
    if (tags.length === 0) return;
    for (const [key, entry] of this.#l1.entries()) {
      const tagged = entry.tags.some((t) => tags.includes(t));
      if (tagged || (dropUntagged && entry.tags.length === 0)) this.#l1.delete(key);
    }
  }
}

/** Above this many keys a tag invalidation message carries only the tag. */
const MAX_KEYS_PER_MESSAGE = 1000;

/** A remote that can say which keys a tag invalidation removed (RedisCache can). */
interface TagKeysRemote extends Cache {
  invalidateTagKeys(tag: string): Promise<Result<{ removed: number; keys: string[] }>>;
}
const hasTagKeys = (c: Cache): c is TagKeysRemote =>
  typeof (c as Partial<TagKeysRemote>).invalidateTagKeys === 'function';
