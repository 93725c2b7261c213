import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.ts';
import type { Cache } from '../cache/cache.ts';
import { MemoryCache } from '../cache/memory-cache.ts';
import type { Result } from '../cache/result.ts';
import { type ReadRequest, readThrough } from './read-through.ts';
import { SingleFlight } from './single-flight.ts';
import { WriteLog } from './write-log.ts';

/** A MemoryCache whose gets can be held: the answer is read at once, delivered on release. */
class HeldGets extends MemoryCache {
  /** How many of the next gets to hold. */
  holdNext = 0;
  private readonly held: (() => void)[] = [];
  override async get<T>(key: string): Promise<Result<T | undefined>> {
    const answer = await super.get<T>(key);
    if (this.holdNext === 0) return answer;
    this.holdNext--;
    return new Promise((resolve) => this.held.push(() => resolve(answer)));
  }
  get holding(): number {
    return this.held.length;
  }
  release(): void {
    for (const r of this.held.splice(0)) r();
  }
}

function setup(cache: Cache) {
  const built = buildTestApp({ cache });
  const deps = {
    cache: built.cache,
    metrics: built.metrics,
    flights: new SingleFlight(),
    writes: new WriteLog(),
    ttlMs: 60_000,
  };
  const loads: Record<string, number> = {};
  const req = (key: string, tags: string[]): ReadRequest<{ key: string; n: number }> => ({
    key,
    pattern: key.split(':')[0] ?? key,
    tags,
    variant: 'off',
    load: async () => {
      loads[key] = (loads[key] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, 5));
      return { key, n: loads[key] ?? 0 };
    },
  });
  return { deps, loads, req };
}

describe('readThrough', () => {
  it('a reader whose cache get went out before the value was stored, and came back after the load ended, shares that load', async () => {
    const cache = new HeldGets();
    const { deps, loads, req } = setup(cache);
    const first = readThrough(deps, req('user:1', ['user:1']));
    await new Promise((r) => setTimeout(r, 1)); // first has missed and is loading
    cache.holdNext = 1;
    const late = readThrough(deps, req('user:1', ['user:1'])); // its get reads the miss now
    expect((await first).value).toEqual({ key: 'user:1', n: 1 });
    expect(cache.holding).toBe(1);
    cache.release(); // the miss arrives after the load left the single-flight table
    const second = await late;
    expect(second.value).toEqual({ key: 'user:1', n: 1 });
    expect(second.outcome).toMatchObject({ kind: 'forward', collapsed: true });
    expect(loads['user:1']).toBe(1);
    expect(deps.flights.keptSize).toBe(0);
  });

  it('a write stops the storing of loads of what it changes, not of every load in flight', async () => {
    const memory = new MemoryCache();
    const { deps, req } = setup(memory);
    const user = readThrough(deps, req('user:7', ['user:7']));
    const rows = readThrough(deps, req('rows:1', ['sheet:1']));
    await new Promise((r) => setTimeout(r, 1)); // both are loading
    deps.writes.write(['sheet:1']);
    const [u, r] = await Promise.all([user, rows]);
    expect(u.outcome).toMatchObject({ kind: 'forward', stored: true });
    expect(r.outcome).toMatchObject({ kind: 'forward', stored: false });
    expect(memory.entries).toBe(1); // user:7 only
    expect(await memory.get('rows:1')).toEqual({ ok: true, value: undefined });
    expect(deps.writes.size).toBe(0); // nothing running: the log forgot
  });
});
