import { afterEach, describe, expect } from 'vitest';
import { REDIS_URL, redisAddress } from '../../test/helpers/redis.ts';
import { it } from '../../test/helpers/redis-fixture.ts';
import { startTcpProxy, type TcpProxy } from '../../test/helpers/tcp-proxy.ts';
import type { BreakerState } from './circuit-breaker.ts';
import { RedisCache } from './redis-cache.ts';
import type { Result } from './result.ts';

let proxy: TcpProxy;
let cache: RedisCache;

afterEach(async () => {
  await cache?.close();
  await proxy?.close();
});
async function setup(prefix: string, timeoutMs: number): Promise<{ states: BreakerState[] }> {
  proxy = await startTcpProxy(redisAddress(REDIS_URL));
  cache = new RedisCache({
    url: proxy.url(),
    keyPrefix: prefix,
    timeoutMs,
    breaker: { failureThreshold: 5, cooldownMs: 200 },
    maxReconnectDelayMs: 100,
  });
  const states: BreakerState[] = [];
  cache.onBreakerStateChange((s) => states.push(s));
  const ready = await cache.ready();
  if (!ready.ok) throw ready.error;
  return { states };
}

/**
 * Runs `workers` loops of get/set/del until `stop()`, recording each outcome; a rejected
 * promise is recorded as 'REJECTED' so the test can prove there were none.
 */
function drive(workers: number) {
  const outcomes = new Map<string, number>();
  let running = true;
  const record = (r: Result<unknown>) => {
    const label = r.ok ? 'ok' : r.error.type;
    outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
  };
  const loops = Array.from({ length: workers }, async (_, w) => {
    let i = 0;
    while (running) {
      const key = `sheet:${w}:${i++ % 10}`;
      const ops = [
        cache.set(key, { w, i }, { ttlMs: 30_000, tags: [`sheet:${w}`] }),
        cache.get(key),
        cache.del(`${key}:x`),
      ];
      for (const op of ops) await op.then(record, () => record({ ok: false, error: rejected }));
      await new Promise((r) => setImmediate(r));
    }
  });
  return {
    outcomes,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}
const rejected = Object.assign(new Error('rejected'), { type: 'REJECTED' }) as never;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean | Promise<boolean>, withinMs: number): Promise<void> {
  const end = Date.now() + withinMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`condition not met within ${withinMs} ms`);
    await sleep(10);
  }
}

describe('RedisCache under faults (TCP proxy in front of the real Redis)', () => {
  it('cut while ops run: every op resolves with a Result, breaker opens, restore resumes', async ({
    admin,
    prefix,
  }) => {
    const { states } = await setup(prefix, 100);
    const load = drive(20);
    await sleep(200);
    // A stall of a busy machine can open the breaker on its own: start the cut from closed.
    await until(() => cache.breakerState === 'closed' && (load.outcomes.get('ok') ?? 0) > 0, 5_000);
    states.length = 0;
    proxy.cut();
    await until(() => cache.breakerState !== 'closed', 2_000);
    await sleep(500); // an outage longer than several cool-downs: probes fail and reopen
    const during = new Map(load.outcomes);
    proxy.restore();
    await until(() => cache.breakerState === 'closed', 5_000);
    const okBefore = load.outcomes.get('ok') ?? 0;
    await until(() => (load.outcomes.get('ok') ?? 0) > okBefore + 100, 5_000);
    await load.stop();

    expect(load.outcomes.get('REJECTED')).toBeUndefined();
    // In-flight ops see the reset (connection) or, on a stalled box, their deadline.
    expect((during.get('connection') ?? 0) + (during.get('timeout') ?? 0)).toBeGreaterThan(0);
    expect(during.get('circuit_open') ?? 0).toBeGreaterThan(0);
    expect(
      [...load.outcomes.keys()].every((k) =>
        ['ok', 'connection', 'timeout', 'circuit_open'].includes(k),
      ),
    ).toBe(true);
    expect(states.slice(0, 2)).toEqual(['open', 'half_open']);
    expect(states.at(-1)).toBe('closed');
    // Same RedisCache object, no restart: it writes and reads through Redis again.
    expect(await cache.set('after', 'back', { ttlMs: 10_000 })).toEqual({
      ok: true,
      value: true,
    });
    expect(await admin.get(`${prefix}v:after`)).toBe('"back"');
    expect(await cache.get('after')).toEqual({ ok: true, value: 'back' });
  });

  it('black hole: ops time out at the deadline, breaker opens, restore closes it with no traffic', async ({
    prefix,
  }) => {
    const { states } = await setup(prefix, 50);
    await until(async () => (await cache.set('k', 1, { ttlMs: 30_000 })).ok, 5_000);
    await until(() => cache.breakerState === 'closed', 5_000);
    states.length = 0;
    proxy.blackhole();
    const t0 = performance.now();
    const r = await cache.get('k');
    const took = performance.now() - t0;
    expect(r.ok ? 'ok' : r.error.type).toBe('timeout');
    expect(took).toBeGreaterThanOrEqual(45);
    expect(took).toBeLessThan(500);
    const load = drive(10);
    await until(() => cache.breakerState === 'open', 2_000);
    const t1 = performance.now();
    const refused = await cache.get('k');
    expect(refused.ok ? 'ok' : refused.error.type).toBe('circuit_open');
    expect(performance.now() - t1).toBeLessThan(20);
    await load.stop();
    proxy.restore();
    // No traffic now: the breaker probes Redis on its own after the cool-down.
    await until(() => cache.breakerState === 'closed', 5_000);
    expect(load.outcomes.get('REJECTED')).toBeUndefined();
    expect(load.outcomes.get('timeout') ?? 0).toBeGreaterThan(0);
    expect(states[0]).toBe('open');
    expect(await cache.get('k')).toEqual({ ok: true, value: 1 });
  });
});
