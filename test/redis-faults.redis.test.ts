import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect } from 'vitest';
import { type LoadStats, runLoad } from '../scripts/loadgen/run-load.ts';
import { API_KEY_PATTERNS } from '../service/api/routes-table.ts';
import { type AppDeps, createApp } from '../service/app.ts';
import { buildDeps } from '../service/build.ts';
import { loadConfig } from '../service/config.ts';
import { silentLogger } from '../service/logger.ts';
import { METRICS } from '../service/metrics/names.ts';
import { seriesValue } from './helpers/metrics-reader.ts';
import { REDIS_URL, type RedisClient, redisAddress } from './helpers/redis.ts';
import { it } from './helpers/redis-fixture.ts';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.ts';

let proxy: TcpProxy;
let server: Server;
let deps: AppDeps;
/** Breaker transitions and client errors as the service logs them, for failure messages. */
const log: string[] = [];

afterEach(async () => {
  await new Promise((r) => server?.close(r));
  await deps?.cache.close();
  await proxy?.close();
});
/** The real service wiring (loadConfig → buildDeps → createApp) with Redis behind a TCP proxy. */
async function serveThroughProxy(admin: RedisClient, prefix: string): Promise<string> {
  proxy = await startTcpProxy(redisAddress(REDIS_URL));
  const config = loadConfig({
    NODE_ENV: 'test',
    FEATURE_CACHE: 'true',
    CACHE_IMPL: 'redis',
    REDIS_URL: proxy.url(),
    REDIS_KEY_PREFIX: prefix,
    // Not the 50 ms default: on this loaded 2-core box (load average 7-10 while the team's
    // suites run) the test process stalls for 100-400 ms at times, and those stalls alone
    // opened the breaker before and after the fault. Deadlines themselves are tested in
    // service/cache/redis-cache-faults.redis.test.ts.
    REDIS_TIMEOUT_MS: '1000',
    SOURCE_LATENCY_SCALE: '0.05',
    ESTIMATOR_ENABLED: 'false',
  });
  log.length = 0;
  const t0 = performance.now();
  const record = (msg: string, fields?: Record<string, unknown>) =>
    log.push(`${Math.round(performance.now() - t0)} ms ${msg} ${JSON.stringify(fields ?? {})}`);
  deps = buildDeps(config, { ...silentLogger, warn: record, error: record });
  server = createServer(createApp(deps));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Wait until the RedisCache is connected (a first request fills Redis).
  for (let i = 0; i < 100 && (await admin.keys(`${prefix}*`)).length === 0; i++) {
    await fetch(`${url}/api/sheets/1`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return url;
}

const metric = (name: string, labels: Record<string, string>) =>
  seriesValue(deps.metrics.registry, name, labels);
const errors = (type: string) =>
  metric(METRICS.cacheErrors.name, { impl: 'redis', error_type: type });
const circuitOpen = () => metric(METRICS.circuitOpen.name, { impl: 'redis' });
const hits = async () => {
  let n = 0;
  for (const p of API_KEY_PATTERNS) {
    n += await metric(METRICS.cacheHits.name, { impl: 'redis', key_pattern: p });
  }
  return n;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => Promise<boolean>, withinMs: number): Promise<void> {
  const end = Date.now() + withinMs;
  while (!(await cond())) {
    if (Date.now() > end) {
      throw new Error(`condition not met within ${withinMs} ms; service log:\n${log.join('\n')}`);
    }
    await sleep(20);
  }
}

function expectNoFailedRequests(stats: LoadStats): void {
  expect(stats.sent).toBeGreaterThan(500);
  expect(stats.failed).toBe(0);
  expect(stats.ok + stats.clientErrors).toBe(stats.sent);
}

/** After the outage: the breaker closes (it probes by itself) and the same cache hits again. */
async function expectRecovered(url: string): Promise<void> {
  // Reconnect back-off (<= 1 s) + cool-down (1 s) + probe; generous: this box is often loaded.
  await until(async () => (await circuitOpen()) === 0, 8_000);
  const before = await hits();
  for (let i = 0; i < 3; i++) expect((await fetch(`${url}/api/sheets/1`)).status).toBe(200);
  expect(await hits()).toBeGreaterThan(before);
}

describe('HTTP under Redis faults (load generator, real Redis behind a TCP proxy)', () => {
  it('Redis cut for 2 s under load: zero failed requests, errors counted, breaker opens, cache resumes', async ({
    admin,
    prefix,
  }) => {
    const url = await serveThroughProxy(admin, prefix);
    const load = runLoad({ url, durationMs: 6_000, rate: 250, keys: 200, seed: 11 });
    await sleep(1_500);
    expect(await hits()).toBeGreaterThan(0);
    await until(async () => (await circuitOpen()) === 0, 5_000);
    proxy.cut();
    await until(async () => (await circuitOpen()) === 1, 1_500);
    await sleep(2_000);
    expect(await circuitOpen()).toBe(1);
    proxy.restore();
    const stats = await load;

    expectNoFailedRequests(stats);
    expect(await errors('connection')).toBeGreaterThan(0);
    expect(await errors('circuit_open')).toBeGreaterThan(0);
    await expectRecovered(url);
  });

  it('Redis black-holed under load: ops time out, zero failed requests, cache resumes', async ({
    admin,
    prefix,
  }) => {
    const url = await serveThroughProxy(admin, prefix);
    const load = runLoad({ url, durationMs: 6_000, rate: 250, keys: 200, seed: 12 });
    await sleep(1_000);
    // A stall of this busy box may have opened the breaker already; start from closed.
    await until(async () => (await circuitOpen()) === 0, 5_000);
    proxy.blackhole();
    await until(async () => (await circuitOpen()) === 1, 3_000);
    await sleep(1_000);
    proxy.restore();
    const stats = await load;

    expectNoFailedRequests(stats);
    expect(await errors('timeout'), log.join('\n')).toBeGreaterThan(0);
    await expectRecovered(url);
  });
});
