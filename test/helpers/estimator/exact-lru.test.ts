import { describe, expect, it } from 'vitest';
import {
  loopTrace,
  replay,
  type Trace,
  zipfTrace,
} from '../../../service/estimator/synthetic-traces.ts';
import { ExactLru } from './exact-lru.ts';

/**
 * A real read-through LRU cache of `capacity` entries, run directly on the trace: the
 * independent check that stack distances (and the observe-only get+set stream) model it.
 */
function simulateLru(trace: Trace, capacity: number): number {
  const cache = new Map<string, number>(); // key → expiry; Map order = recency
  let gets = 0;
  let hits = 0;
  for (let i = 0; i < trace.keys.length; i++) {
    const k = trace.keys[i] ?? 0;
    const key = trace.names[k] ?? '';
    const now = i * trace.stepMs;
    for (const [kk, exp] of cache) if (exp <= now) cache.delete(kk);
    if (trace.deletes[i] === 1) {
      cache.delete(key);
      continue;
    }
    gets++;
    const exp = cache.get(key);
    if (exp !== undefined) {
      hits++;
      cache.delete(key);
      cache.set(key, exp);
      continue;
    }
    const ttl = trace.ttlMs[k] ?? 0;
    cache.set(key, ttl > 0 ? now + ttl : Number.POSITIVE_INFINITY);
    if (cache.size > capacity) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
  }
  return hits / gets;
}

describe('ExactLru (reference simulator)', () => {
  const sizes = [1, 10, 50, 200, 600];

  it('equals a real LRU cache at every size on Zipf and loop traces without TTLs', () => {
    for (const trace of [
      zipfTrace(0.9, { accesses: 20_000, universe: 2_000, seed: 21 }),
      loopTrace({ accesses: 5_000, universe: 300, seed: 22 }),
    ]) {
      const exact = new ExactLru(2 * trace.keys.length);
      replay(trace, exact);
      for (const c of sizes) expect(exact.hitRatioAtEntries(c)).toBe(simulateLru(trace, c));
    }
  });

  it('stays close to a real LRU cache with TTLs and deletes (which break the stack property)', () => {
    const trace = zipfTrace(0.9, {
      accesses: 20_000,
      universe: 2_000,
      seed: 23,
      ttlChoicesMs: [300, 3_000],
      deleteShare: 0.02,
    });
    const exact = new ExactLru(2 * trace.keys.length);
    replay(trace, exact);
    const diffs = sizes.map((c) => Math.abs(exact.hitRatioAtEntries(c) - simulateLru(trace, c)));
    console.log(
      `stack model vs real LRU with TTL+deletes, |Δ hit ratio| at ${sizes.join('/')}: ${diffs.map((d) => d.toFixed(4)).join(' ')}`,
    );
    for (const d of diffs) expect(d).toBeLessThan(0.02);
  });
});
