import { describe, expect, it } from 'vitest';
import { describeCacheContract } from '../../test/helpers/cache-contract.ts';
import { MemoryCache } from './memory-cache.ts';

function fakeClock() {
  let t = 1_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describeCacheContract('MemoryCache', () => {
  const clock = fakeClock();
  const cache = new MemoryCache({ now: clock.now });
  return { cache, elapse: async (ms) => void clock.advance(ms) };
});

describe('MemoryCache bounds', () => {
  it('holds at most maxEntries, evicting the least recently used', async () => {
    const c = new MemoryCache({ maxEntries: 3 });
    for (const i of [1, 2, 3]) await c.set(`user:${i}`, i, { ttlMs: 60_000 });
    await c.get('user:1'); // 1 is now most recent; 2 is the LRU
    await c.set('user:4', 4, { ttlMs: 60_000 });
    expect(c.entries).toBe(3);
    expect((await c.get('user:2')).ok && (await c.get('user:2'))).toEqual({
      ok: true,
      value: undefined,
    });
    expect(await c.get('user:1')).toEqual({ ok: true, value: 1 });
  });

  it('holds at most maxBytes', async () => {
    const c = new MemoryCache({ maxBytes: 10_000, maxValueBytes: 5_000 });
    for (let i = 0; i < 100; i++) await c.set(`rows:${i}`, 'x'.repeat(500), { ttlMs: 60_000 });
    expect(c.bytes).toBeLessThanOrEqual(10_000);
    expect(c.entries).toBeLessThan(100);
    expect(c.entries).toBeGreaterThan(0);
  });

  it('declines a value over maxValueBytes with value_too_large', async () => {
    const c = new MemoryCache({ maxBytes: 10_000, maxValueBytes: 1_000 });
    const r = await c.set('rows:big', 'x'.repeat(1_000), { ttlMs: 60_000 });
    expect(r.ok ? 'ok' : r.error.type).toBe('value_too_large');
    expect(c.entries).toBe(0);
  });

  it('forgets tags of evicted keys, so the tag index stays bounded', async () => {
    const c = new MemoryCache({ maxEntries: 2 });
    for (let i = 0; i < 10; i++) await c.set(`sheet:${i}`, i, { ttlMs: 60_000, tags: [`t:${i}`] });
    expect(await c.invalidateTag('t:0')).toEqual({ ok: true, value: 0 });
    expect(await c.invalidateTag('t:9')).toEqual({ ok: true, value: 1 });
  });
});

describe('MemoryCache values', () => {
  it('returns one deep-frozen copy: callers cannot change what is cached', async () => {
    const cache = new MemoryCache();
    const value = { id: 1, tags: ['a'], nested: { n: 1 } };
    await cache.set('user:1', value, { ttlMs: 60_000 });
    const a = await cache.get<typeof value>('user:1');
    const b = await cache.get<typeof value>('user:1');
    if (!a.ok || !a.value || !b.ok) throw new Error('expected a hit');
    expect(a.value).not.toBe(value); // a copy of what was set
    expect(b.value).toBe(a.value); // the same copy each time: no parse per get
    expect(Object.isFrozen(a.value.nested) && Object.isFrozen(a.value.tags)).toBe(true);
    expect(() => {
      (a.value as { nested: { n: number } }).nested.n = 2;
    }).toThrow(TypeError);
    expect(await cache.get('user:1')).toEqual({ ok: true, value });
  });
});
