import { afterEach, describe, expect } from 'vitest';
import { NO_FAULTS } from '../service/source/faults.ts';
import { type InProcessService, startInProcess } from './helpers/in-process-service.ts';
import { it } from './helpers/redis-fixture.ts';

const running: InProcessService[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

/** Two replicas on one Redis with grace on, TTL 1 s. */
async function replicas(keyPrefix: string) {
  const env = {
    FEATURE_CACHE: 'true',
    CACHE_IMPL: 'redis',
    REDIS_KEY_PREFIX: keyPrefix,
    REDIS_TIMEOUT_MS: '1000',
    CACHE_TTL_SECONDS: '1',
    CACHE_GRACE_SECONDS: '300',
    CACHE_SOFT_TIMEOUT_MS: '100',
    SOURCE_TIMEOUT_MS: '300',
    SOURCE_LATENCY_SCALE: '0',
  };
  const pair = await Promise.all([startInProcess(env), startInProcess(env)]);
  running.push(...pair);
  const [a, b] = pair;
  if (!a || !b) throw new Error('replicas did not start');
  const outage = (on: boolean) => {
    for (const r of pair) {
      r.deps.source.setFaults(
        on ? { ...NO_FAULTS, outage: { fromMs: 0, untilMs: Number.MAX_SAFE_INTEGER } } : NO_FAULTS,
      );
    }
  };
  return { a, b, outage };
}

const read = async (r: InProcessService, path: string) => {
  const res = await fetch(r.url + path);
  const body = (await res.json()) as { title?: string; error?: string };
  return { status: res.status, cacheStatus: res.headers.get('cache-status'), body };
};
const STALE = /hit; ttl=-\d+; detail=stale-/;

describe('writes beat stale data during a source outage (2 replicas, real Redis)', () => {
  it('after a PUT on one replica, neither serves the stale sheet or its tagged keys', async ({
    prefix,
  }) => {
    const { a, b, outage } = await replicas(`${prefix}ok:`);
    for (const p of ['/api/sheets/5', '/api/sheets/5/rows', '/api/sheets/6']) {
      expect((await read(b, p)).status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 1_200)); // past TTL (+10 % jitter): stale, in grace
    outage(true);
    const before = await read(b, '/api/sheets/5');
    expect(before).toMatchObject({ status: 200, body: { title: 'Sheet 5' } });
    expect(before.cacheStatus).toMatch(STALE); // grace is on: without the write it is served
    outage(false);
    const put = await fetch(`${a.url}/api/sheets/5`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'renamed' }),
    });
    expect(put.status).toBe(200);
    outage(true); // the source goes down right after the write returned
    for (const r of [a, b]) {
      expect(await read(r, '/api/sheets/5')).toMatchObject({ status: 503 });
      expect(await read(r, '/api/sheets/5/rows')).toMatchObject({ status: 503 });
    }
    expect((await read(b, '/api/sheets/6')).cacheStatus).toMatch(STALE); // untouched by the write
    outage(false);
    expect(await read(a, '/api/sheets/5')).toMatchObject({
      status: 200,
      body: { title: 'renamed' },
    });
  });

  it('a PUT during the outage fails (503) and still drops the stale copy on every replica', async ({
    prefix,
  }) => {
    const { a, b, outage } = await replicas(`${prefix}down:`);
    expect((await read(b, '/api/sheets/8')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_200));
    outage(true);
    expect((await read(b, '/api/sheets/8')).cacheStatus).toMatch(STALE);
    const put = await fetch(`${a.url}/api/sheets/8`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'maybe' }),
    });
    expect(put.status).toBe(503);
    expect(await read(b, '/api/sheets/8')).toMatchObject({
      status: 503,
      body: { error: 'source unavailable: source did not answer within 300 ms' },
    });
  });
});
