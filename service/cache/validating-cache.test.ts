import { describe, expect, it } from 'vitest';
import { MemoryCache } from './memory-cache.ts';
import { nestedDeeperThan, ValidatingCache, type ValuePolicy } from './validating-cache.ts';

const policy: ValuePolicy = {
  schemaFor: (p) =>
    p === 'num'
      ? { version: 3, check: (v) => (typeof v === 'number' ? undefined : 'not a number') }
      : undefined,
  maxDepth: 4,
};
const ttl = { ttlMs: 60_000 };

function setup() {
  const inner = new MemoryCache({ maxEntries: 100, maxBytes: 1 << 20 });
  return { inner, cache: new ValidatingCache(inner, policy) };
}

describe('ValidatingCache', () => {
  it('stores the pattern schema version with the value and serves the value back', async () => {
    const { inner, cache } = setup();
    await cache.set('num:1', 7, ttl);
    expect(await inner.get('num:1')).toEqual({ ok: true, value: { v: 3, d: 7 } });
    expect(await cache.get('num:1')).toEqual({ ok: true, value: 7 });
    await cache.set('free:1', { a: [1] }, ttl); // no schema: version 0, any shape
    expect(await inner.get('free:1')).toEqual({ ok: true, value: { v: 0, d: { a: [1] } } });
    expect(await cache.get('free:1')).toEqual({ ok: true, value: { a: [1] } });
    expect(await cache.get('num:2')).toEqual({ ok: true, value: undefined });
  });

  const bad: [string, string, unknown, RegExp][] = [
    ['no envelope', 'num:1', 7, /no envelope/],
    ['old version', 'num:1', { v: 2, d: 7 }, /schema version 2, current is 3/],
    ['wrong shape', 'num:1', { v: 3, d: 'seven' }, /not a number/],
    ['too deep, pattern without schema', 'free:1', { v: 0, d: [[[[[1]]]]] }, /deeper than 4/],
    ['envelope with extra fields', 'num:1', { v: 3, d: 7, x: 1 }, /no envelope/],
  ];
  for (const [name, key, stored, why] of bad) {
    it(`rejects ${name}: serialization error, and the value is deleted`, async () => {
      const { inner, cache } = setup();
      await inner.set(key, stored, ttl);
      const r = await cache.get(key);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.type).toBe('serialization');
        expect(r.error.message).toMatch(why);
      }
      expect(await inner.get(key)).toEqual({ ok: true, value: undefined });
    });
  }

  it('accepts nesting up to the limit exactly', async () => {
    const { inner, cache } = setup();
    await inner.set('free:1', { v: 0, d: [[[[1]]]] }, ttl);
    expect(await cache.get('free:1')).toEqual({ ok: true, value: [[[[1]]]] });
  });

  it('measures depth without recursing past the limit (50,000 levels)', () => {
    let deep: unknown = [];
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(nestedDeeperThan(deep, 32)).toBe(true);
    expect(nestedDeeperThan({ a: { b: [1, { c: null }] } }, 4)).toBe(false);
    expect(nestedDeeperThan({ a: { b: [1, { c: [] }] } }, 4)).toBe(true);
    expect(nestedDeeperThan('x', 0)).toBe(false);
  });
});

describe('ValidatingCache judges a frozen value once', () => {
  function counted() {
    let checks = 0;
    const counting: ValuePolicy = {
      schemaFor: () => ({
        version: 1,
        check: (v) => {
          checks++;
          return typeof v === 'number' ? undefined : 'not a number';
        },
      }),
    };
    return { counting, checks: () => checks };
  }

  it('over MemoryCache (one frozen copy per set): checked on the first get only, again after a set', async () => {
    const { counting, checks } = counted();
    const cache = new ValidatingCache(new MemoryCache(), counting);
    await cache.set('num:1', 7, ttl);
    for (let i = 0; i < 3; i++) expect(await cache.get('num:1')).toEqual({ ok: true, value: 7 });
    expect(checks()).toBe(1);
    await cache.set('num:1', 8, ttl); // a new copy: judged anew
    expect(await cache.get('num:1')).toEqual({ ok: true, value: 8 });
    expect(checks()).toBe(2);
  });

  it('a cache returning new objects (as Redis does) is checked on every get', async () => {
    const { counting, checks } = counted();
    const inner = new MemoryCache();
    const thawed = {
      ...inner,
      impl: 'thawed',
      get: async <T>(key: string) => {
        const r = await inner.get<T>(key);
        return r.ok && r.value !== undefined
          ? { ok: true as const, value: structuredClone(r.value) }
          : r;
      },
      set: inner.set.bind(inner),
      del: inner.del.bind(inner),
      invalidateTag: inner.invalidateTag.bind(inner),
      close: inner.close.bind(inner),
      breaker: undefined,
    };
    const cache = new ValidatingCache(thawed, counting);
    await cache.set('num:1', 7, ttl);
    for (let i = 0; i < 3; i++) expect(await cache.get('num:1')).toEqual({ ok: true, value: 7 });
    expect(checks()).toBe(3);
  });
});
