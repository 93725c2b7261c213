import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Cache } from '../../service/cache/cache.ts';

/** What a contract run needs from an implementation under test. */
export interface ContractSubject {
  readonly cache: Cache;
  /** Lets `ms` of cache time pass (a fake clock for memory, real sleep for Redis). */
  elapse(ms: number): Promise<void>;
  /** Unique key prefix so runs against a shared server never collide. @default '' */
  readonly prefix?: string;
}

/**
 * The one contract every storing implementation passes (memory, Redis): values round-trip
 * as copies, TTLs expire, deletes and tag invalidation remove, and nothing ever rejects.
 */
export function describeCacheContract(
  name: string,
  make: () => Promise<ContractSubject> | ContractSubject,
) {
  describe(`Cache contract: ${name}`, () => {
    let s: ContractSubject;
    let k: (key: string) => string;
    beforeEach(async () => {
      s = await make();
      k = (key) => `${s.prefix ?? ''}${key}`;
    });
    afterEach(async () => {
      await s.cache.close();
    });

    it('misses an absent key with ok(undefined)', async () => {
      expect(await s.cache.get(k('user:absent'))).toEqual({ ok: true, value: undefined });
    });

    it('returns what was set, as an equal copy', async () => {
      const value = { id: 7, name: 'Ada', tags: ['a', 'b'], nested: { n: 1.5, t: true, z: null } };
      expect(await s.cache.set(k('user:7'), value, { ttlMs: 60_000 })).toEqual({
        ok: true,
        value: true,
      });
      value.name = 'mutated after set';
      const got = await s.cache.get<typeof value>(k('user:7'));
      expect(got).toEqual({ ok: true, value: { ...value, name: 'Ada' } });
    });

    it('overwrites a key', async () => {
      await s.cache.set(k('sheet:1'), 'v1', { ttlMs: 60_000 });
      await s.cache.set(k('sheet:1'), 'v2', { ttlMs: 60_000 });
      expect(await s.cache.get(k('sheet:1'))).toEqual({ ok: true, value: 'v2' });
    });

    it('deletes: ok(true) when something was removed, ok(false) when not', async () => {
      await s.cache.set(k('sheet:2'), [1, 2, 3], { ttlMs: 60_000 });
      expect(await s.cache.del(k('sheet:2'))).toEqual({ ok: true, value: true });
      expect(await s.cache.get(k('sheet:2'))).toEqual({ ok: true, value: undefined });
      expect(await s.cache.del(k('sheet:2'))).toEqual({ ok: true, value: false });
    });

    it('expires a value after its TTL and not before', async () => {
      await s.cache.set(k('rows:3'), 'short', { ttlMs: 300 });
      await s.elapse(100);
      expect(await s.cache.get(k('rows:3'))).toEqual({ ok: true, value: 'short' });
      await s.elapse(600);
      expect(await s.cache.get(k('rows:3'))).toEqual({ ok: true, value: undefined });
    });

    it('invalidates every key of a tag and only those', async () => {
      const tag = k('sheet:9');
      await s.cache.set(k('sheet:9'), 'sheet', { ttlMs: 60_000, tags: [tag] });
      await s.cache.set(k('rows:9:1'), 'rows', { ttlMs: 60_000, tags: [tag] });
      await s.cache.set(k('sheet:10'), 'other', { ttlMs: 60_000, tags: [k('sheet:10')] });
      expect(await s.cache.invalidateTag(tag)).toEqual({ ok: true, value: 2 });
      expect(await s.cache.get(k('sheet:9'))).toEqual({ ok: true, value: undefined });
      expect(await s.cache.get(k('rows:9:1'))).toEqual({ ok: true, value: undefined });
      expect(await s.cache.get(k('sheet:10'))).toEqual({ ok: true, value: 'other' });
      expect(await s.cache.invalidateTag(tag)).toEqual({ ok: true, value: 0 });
    });

    it('returns a serialization error for a value JSON cannot hold, without rejecting', async () => {
      const r = await s.cache.set(k('user:big'), { n: 10n }, { ttlMs: 60_000 });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.type).toBe('serialization');
      expect(await s.cache.get(k('user:big'))).toEqual({ ok: true, value: undefined });
    });
  });
}
