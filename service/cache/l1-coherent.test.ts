import { describe, expect, it } from 'vitest';
import type { Cache, SetOptions } from './cache.ts';
import type { Invalidation, InvalidationBus } from './invalidation-bus.ts';
import { L1CoherentCache } from './l1-coherent.ts';
import { MemoryCache } from './memory-cache.ts';
import { ok, type Result } from './result.ts';

/** In-memory pub/sub between replicas: delivery is async (a macrotask), like over a socket. */
class Hub {
  readonly buses: HubBus[] = [];
  bus(): HubBus {
    const b = new HubBus(this);
    this.buses.push(b);
    return b;
  }
}
class HubBus implements InvalidationBus {
  coherent = true;
  published = 0;
  readonly #handlers = new Set<(m: Invalidation) => void>();
  readonly #coherence = new Set<(c: boolean) => void>();
  constructor(private readonly hub: Hub) {}
  onMessage(h: (m: Invalidation) => void) {
    this.#handlers.add(h);
    return () => this.#handlers.delete(h);
  }
  onCoherence(l: (c: boolean) => void) {
    this.#coherence.add(l);
    return () => this.#coherence.delete(l);
  }
  async publish(msg: Invalidation): Promise<Result<number>> {
    this.published++;
    const others = this.hub.buses.filter((b) => b !== this && b.coherent);
    await new Promise((r) => setImmediate(r));
    for (const b of others) for (const h of b.#handlers) h(msg);
    return ok(others.length);
  }
  setCoherent(c: boolean) {
    this.coherent = c;
    for (const l of this.#coherence) l(c);
  }
  async close() {}
}

/** The shared remote, with a switch to hold the next get's reply until released. */
class GatedRemote implements Cache {
  readonly impl = 'gated';
  gets = 0;
  hold: { release: () => void } | undefined;
  constructor(private readonly inner: MemoryCache) {}
  armed = false;
  async get<T>(key: string): Promise<Result<T | undefined>> {
    this.gets++;
    const r = await this.inner.get<T>(key);
    if (this.armed) {
      this.armed = false;
      await new Promise<void>((release) => {
        this.hold = { release };
      });
      this.hold = undefined;
    }
    return r;
  }
  set<T>(key: string, value: T, opts: SetOptions) {
    return this.inner.set(key, value, opts);
  }
  del(key: string) {
    return this.inner.del(key);
  }
  invalidateTag(tag: string) {
    return this.inner.invalidateTag(tag);
  }
  async close() {}
}

function replicas() {
  const shared = new MemoryCache();
  const hub = new Hub();
  const make = () => {
    const remote = new GatedRemote(shared);
    const bus = hub.bus();
    return { remote, bus, cache: new L1CoherentCache({ remote, bus, ttlMs: 60_000 }) };
  };
  return { a: make(), b: make() };
}
const flush = () => new Promise((r) => setImmediate(r));

describe('L1CoherentCache (in-memory bus and remote)', () => {
  it('serves repeat reads from L1 without touching the remote', async () => {
    const { a } = replicas();
    await a.cache.set('sheet:1', { v: 1 }, { ttlMs: 60_000 });
    const before = a.remote.gets;
    for (let i = 0; i < 5; i++) expect(await a.cache.get('sheet:1')).toEqual(ok({ v: 1 }));
    expect(a.remote.gets).toBe(before);
    expect(a.cache.l1Stats.hits).toBe(5);
  });

  it('a write on one replica invalidates the other replica’s L1', async () => {
    const { a, b } = replicas();
    await a.cache.set('sheet:1', 'v1', { ttlMs: 60_000 });
    expect(await b.cache.get('sheet:1')).toEqual(ok('v1')); // fills b's L1
    expect(await b.cache.get('sheet:1')).toEqual(ok('v1'));
    expect(b.cache.l1Stats.hits).toBe(1);
    await a.cache.set('sheet:1', 'v2', { ttlMs: 60_000 });
    expect(await b.cache.get('sheet:1')).toEqual(ok('v2'));
    await a.cache.del('sheet:1');
    expect(await b.cache.get('sheet:1')).toEqual(ok(undefined));
  });

  it('a tag invalidation drops read-filled entries on other replicas', async () => {
    const { a, b } = replicas();
    await a.cache.set('rows:9', 'r', { ttlMs: 60_000, tags: ['sheet:9'] });
    expect(await b.cache.get('rows:9')).toEqual(ok('r'));
    await a.cache.invalidateTag('sheet:9');
    expect(await b.cache.get('rows:9')).toEqual(ok(undefined));
  });

  it('a read that raced an invalidation does not reinstate the old value in L1', async () => {
    const { a, b } = replicas();
    await a.cache.set('sheet:1', 'old', { ttlMs: 60_000 });
    b.remote.armed = true;
    const racing = b.cache.get('sheet:1'); // reads "old", reply held back
    await flush();
    await a.cache.set('sheet:1', 'new', { ttlMs: 60_000 }); // message reaches b meanwhile
    b.remote.hold?.release();
    expect(await racing).toEqual(ok('old')); // that read began before the write: fine
    expect(await b.cache.get('sheet:1')).toEqual(ok('new')); // but it was not cached
  });

  it('loses coherence → clears and bypasses L1; regains → fills again', async () => {
    const { a, b } = replicas();
    await a.cache.set('sheet:1', 'v1', { ttlMs: 60_000 });
    await b.cache.get('sheet:1');
    expect(b.cache.l1Stats.entries).toBe(1);
    b.bus.setCoherent(false);
    expect(b.cache.l1Stats.entries).toBe(0);
    await a.cache.set('sheet:1', 'v2', { ttlMs: 60_000 }); // b misses this message
    const gets = b.remote.gets;
    expect(await b.cache.get('sheet:1')).toEqual(ok('v2'));
    expect(await b.cache.get('sheet:1')).toEqual(ok('v2'));
    expect(b.remote.gets).toBe(gets + 2);
    expect(b.cache.l1Stats.entries).toBe(0);
    b.bus.setCoherent(true);
    await b.cache.get('sheet:1');
    expect(b.cache.l1Stats.entries).toBe(1);
  });

  it('publishes even when the remote write failed, so no replica keeps the old value', async () => {
    const { a, b } = replicas();
    await a.cache.set('x', 'old', { ttlMs: 60_000 });
    await b.cache.get('x');
    await b.cache.get('x');
    expect(b.cache.l1Stats.hits).toBe(1);
    const published = a.bus.published;
    const r = await a.cache.set('x', { n: 10n }, { ttlMs: 1000 });
    expect(r.ok).toBe(false);
    expect(a.bus.published).toBe(published + 1);
    expect(b.cache.l1Stats.entries).toBe(0);
  });
});
