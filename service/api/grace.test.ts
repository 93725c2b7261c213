import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.ts';
import { seriesValue } from '../../test/helpers/metrics-reader.ts';
import { freshEntry } from '../cache/fresh-entry.ts';
import type { LoadLock } from '../cache/load-lock.ts';
import { MemoryCache } from '../cache/memory-cache.ts';
import { METRICS } from '../metrics/names.ts';
import { cacheStatusHeader } from './cache-status.ts';
import { type GracePolicy, xfetchDue } from './grace.ts';

const TTL = 10_000;
const GRACE: GracePolicy = { graceMs: 60_000, softTimeoutMs: 100, earlyRefreshBeta: 0 };

/** A MemoryCache app whose wall clock the test moves (MemoryCache's own clock is real). */
function app(grace: GracePolicy = GRACE, sourceTimeoutMs = 150) {
  let now = 1_000_000;
  const built = buildTestApp({
    cache: new MemoryCache(),
    ttlMs: TTL,
    grace,
    now: () => now,
    source: { timeoutMs: sourceTimeoutMs },
  });
  const outage = () =>
    built.source.setFaults({
      errorRate: 0,
      extraLatencyMs: 0,
      outage: { fromMs: 0, untilMs: 9e15 },
    });
  const recover = () => built.source.setFaults({ errorRate: 0, extraLatencyMs: 0 });
  return {
    ...built,
    outage,
    recover,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const stale = async (a: ReturnType<typeof app>) =>
  seriesValue(a.metrics.registry, METRICS.staleServed.name, {
    key_pattern: 'sheet',
  });

describe('grace (stale-if-error) through the example API, MemoryCache', () => {
  it('says how each read was served in Cache-Status (RFC 9211)', async () => {
    const a = app();
    const miss = await request(a.app).get('/api/sheets/7').expect(200);
    expect(miss.headers['cache-status']).toBe('metasheet-cache; fwd=uri-miss; stored');
    a.advance(4_000);
    const hit = await request(a.app).get('/api/sheets/7').expect(200);
    expect(hit.headers['cache-status']).toBe('metasheet-cache; hit; ttl=6');
    a.advance(7_000); // past TTL, source up: refreshed
    const refreshed = await request(a.app).get('/api/sheets/7').expect(200);
    expect(refreshed.headers['cache-status']).toBe('metasheet-cache; fwd=stale; stored');
    expect(a.source.loads.sheet).toBe(2);
  });

  it('serves the stale copy when the refresh fails, says so, counts it, and never past grace', async () => {
    const a = app();
    await request(a.app).get('/api/sheets/7').expect(200);
    a.advance(TTL + 2_500);
    a.outage();
    const res = await request(a.app).get('/api/sheets/7').expect(200);
    expect(res.body.title).toBe('Sheet 7');
    // The source timed out (150 ms) after the soft timeout (100 ms): soft timeout wins.
    expect(res.headers['cache-status']).toBe(
      'metasheet-cache; hit; ttl=-3; detail=stale-soft-timeout',
    );
    expect(await stale(a)).toBe(1);
    a.advance(GRACE.graceMs); // now past grace: the copy is never served
    const gone = await request(a.app).get('/api/sheets/7').expect(503);
    expect(gone.body.error).toMatch(/source unavailable: source did not answer within 150 ms/);
    expect(await stale(a)).toBe(1);
  });

  it('names stale-if-error when the source fails before the soft timeout', async () => {
    const a = app({ ...GRACE, softTimeoutMs: 1_000 });
    await request(a.app).get('/api/sheets/8').expect(200);
    a.advance(TTL);
    a.source.setFaults({ errorRate: 1, extraLatencyMs: 0 });
    const res = await request(a.app).get('/api/sheets/8').expect(200);
    expect(res.headers['cache-status']).toBe('metasheet-cache; hit; ttl=-1; detail=stale-if-error');
  });

  it('with a slow source answers within the soft timeout and stores the late refresh', async () => {
    const a = app({ ...GRACE, softTimeoutMs: 50 }, 5_000);
    await request(a.app).get('/api/sheets/9').expect(200);
    a.advance(TTL + 1);
    a.source.setFaults({ errorRate: 0, extraLatencyMs: 400 });
    const t0 = performance.now();
    const res = await request(a.app).get('/api/sheets/9').expect(200);
    expect(performance.now() - t0).toBeLessThan(350);
    expect(res.headers['cache-status']).toMatch(/hit; ttl=-1; detail=stale-soft-timeout$/);
    await new Promise((r) => setTimeout(r, 600)); // the refresh lands in the background
    const after = await request(a.app).get('/api/sheets/9').expect(200);
    expect(after.headers['cache-status']).toBe('metasheet-cache; hit; ttl=10');
  });

  it('a never-cached key fails like the source, within its timeout, with a clear 503', async () => {
    const a = app();
    a.outage();
    const t0 = performance.now();
    const res = await request(a.app).get('/api/sheets/11/rows').expect(503);
    expect(performance.now() - t0).toBeLessThan(150 + 250);
    expect(res.body).toEqual({ error: 'source unavailable: source did not answer within 150 ms' });
  });

  it('a PUT beats the stale copy: the sheet and its tagged keys are not served stale after it', async () => {
    const a = app();
    for (const p of ['/api/sheets/5', '/api/sheets/5/rows', '/api/sheets/6']) {
      await request(a.app).get(p).expect(200);
    }
    a.advance(TTL + 1_000);
    // The write reaches the source, then the source goes down.
    await request(a.app).put('/api/sheets/5').send({ title: 'renamed' }).expect(200);
    a.outage();
    await request(a.app).get('/api/sheets/5').expect(503);
    await request(a.app).get('/api/sheets/5/rows').expect(503);
    const other = await request(a.app).get('/api/sheets/6').expect(200); // untouched: stale is fine
    expect(other.headers['cache-status']).toMatch(/detail=stale-/);
    a.recover();
    const fresh = await request(a.app).get('/api/sheets/5').expect(200);
    expect(fresh.body.title).toBe('renamed');
  });

  it('a PUT that fails at the source still drops the stale copy (the write may have landed)', async () => {
    const a = app();
    await request(a.app).get('/api/sheets/12').expect(200);
    a.advance(TTL + 1_000);
    a.outage();
    expect((await request(a.app).get('/api/sheets/12').expect(200)).body.title).toBe('Sheet 12');
    await request(a.app).put('/api/sheets/12').send({ title: 'x' }).expect(503);
    await request(a.app).get('/api/sheets/12').expect(503);
  });

  it('counts a stale entry as a miss, a fresh one as a hit', async () => {
    const a = app();
    await request(a.app).get('/api/users/3').expect(200); // miss
    await request(a.app).get('/api/users/3').expect(200); // hit
    a.advance(TTL);
    await request(a.app).get('/api/users/3').expect(200); // stale → miss, refreshed
    const user = a.cache.status().patterns.find((p) => p.pattern === 'user');
    expect(user).toMatchObject({ hits: 1, misses: 2, sets: 2 });
  });
});

describe('early refresh (XFetch)', () => {
  it('fires with probability exp(-(expiry - now) / (delta * beta)) and never when beta is 0', () => {
    const e = freshEntry('v', 10_000, 100);
    const draws = Array.from({ length: 20_000 }, (_, i) => (i + 0.5) / 20_000);
    const rate = (now: number, beta: number) =>
      draws.filter((u) => xfetchDue(e, now, beta, () => u)).length / draws.length;
    expect(rate(9_900, 1)).toBeCloseTo(Math.exp(-1), 2);
    expect(rate(9_800, 2)).toBeCloseTo(Math.exp(-1), 2);
    expect(rate(9_500, 1)).toBeCloseTo(Math.exp(-5), 2);
    expect(rate(9_999, 0)).toBe(0);
    expect(rate(10_000, 1)).toBe(1);
  });

  it('refreshes in the background: the triggering read answers from the cache at once', async () => {
    const a = app({ ...GRACE, earlyRefreshBeta: 1_000 }, 5_000);
    a.source.setFaults({ errorRate: 0, extraLatencyMs: 20 }); // δ ≈ 20 ms
    await request(a.app).get('/api/sheets/21').expect(200);
    a.advance(TTL - 100); // 100 ms left; δ·β is huge, so the rule fires
    a.source.setFaults({ errorRate: 0, extraLatencyMs: 300 });
    const t0 = performance.now();
    const res = await request(a.app).get('/api/sheets/21').expect(200);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(res.headers['cache-status']).toBe('metasheet-cache; hit; ttl=0');
    expect(a.source.loads.sheet).toBe(2); // the refresh started
    await new Promise((r) => setTimeout(r, 500));
    const after = await request(a.app).get('/api/sheets/21').expect(200);
    expect(after.headers['cache-status']).toBe('metasheet-cache; hit; ttl=10');
  });
});

describe('cacheStatusHeader', () => {
  it('formats hits, stale hits (negative ttl), forwards and bypass', () => {
    expect(cacheStatusHeader({ kind: 'hit', ttlMs: 2_999 })).toBe('metasheet-cache; hit; ttl=2');
    expect(cacheStatusHeader({ kind: 'stale', ttlMs: -1, reason: 'stale-if-error' })).toBe(
      'metasheet-cache; hit; ttl=-1; detail=stale-if-error',
    );
    expect(
      cacheStatusHeader({ kind: 'forward', fwd: 'uri-miss', stored: false, collapsed: true }),
    ).toBe('metasheet-cache; fwd=uri-miss; collapsed');
    expect(cacheStatusHeader({ kind: 'bypass' })).toBe('metasheet-cache; fwd=bypass');
  });
});

describe('load lock fallbacks (a stub LoadLock: the real one is tested against Redis)', () => {
  const stubLock = (state: 'busy' | 'unavailable', waitMs = 80): LoadLock => ({
    waitMs,
    acquire: async () =>
      state === 'busy' ? { state } : { state, reason: 'lock store not connected' },
    close: async () => {},
  });

  it('a lock error loads as if there were no lock', async () => {
    const built = buildTestApp({ cache: new MemoryCache(), loadLock: stubLock('unavailable') });
    await request(built.app).get('/api/sheets/3').expect(200);
    expect(built.source.loads.sheet).toBe(1);
  });

  it('a busy lock whose holder never stores: waits waitMs, then loads itself', async () => {
    const built = buildTestApp({ cache: new MemoryCache(), loadLock: stubLock('busy', 80) });
    const t0 = performance.now();
    await request(built.app).get('/api/sheets/3').expect(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75);
    expect(built.source.loads.sheet).toBe(1);
  });
});

describe('GET /internal/cache shows the source', () => {
  it('with its timeout, faults, loads and failures', async () => {
    const a = app();
    await request(a.app).get('/api/sheets/1').expect(200);
    a.source.setFaults({ errorRate: 1, extraLatencyMs: 5 });
    await request(a.app).get('/api/sheets/2').expect(503);
    const res = await request(a.app).get('/internal/cache').expect(200);
    expect(res.body.source).toMatchObject({
      timeoutMs: 150,
      faults: { errorRate: 1, extraLatencyMs: 5, outage: null },
      loads: { sheet: 2 },
      failures: { error: 1, timeout: 0 },
    });
  });
});
