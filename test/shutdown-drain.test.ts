import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServiceProcess, startService } from './helpers/service-process.ts';

/** How a request sent during the drain ended. */
interface Outcome {
  readonly kind: 'ok' | 'refused' | 'cut' | 'http-error';
  readonly sentAfterSigterm: boolean;
  readonly connectionClose: boolean;
  readonly code?: string;
}

/**
 * Open-loop keep-alive client: `rate` GETs per second over one `http.Agent` (keepAlive,
 * LIFO), like a service calling this one. `refused` = connection refused (the request
 * never reached the server); `cut` = sent on a connection and never answered.
 */
function keepAliveLoad(url: string, rate: number, paths: readonly string[]) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const outcomes: Promise<Outcome>[] = [];
  let sigtermAt = Number.POSITIVE_INFINITY;
  let stopped = false;
  const fire = (path: string) => {
    const sentAfterSigterm = Date.now() >= sigtermAt;
    outcomes.push(
      new Promise<Outcome>((resolve) => {
        const req = request(`${url}${path}`, { agent }, (res) => {
          res.resume();
          res.on('end', () =>
            resolve({
              kind: res.statusCode === 200 ? 'ok' : 'http-error',
              sentAfterSigterm,
              connectionClose: res.headers.connection === 'close',
            }),
          );
          res.on('error', (e: NodeJS.ErrnoException) =>
            resolve({ kind: 'cut', sentAfterSigterm, connectionClose: false, code: e.code }),
          );
        });
        req.on('error', (e: NodeJS.ErrnoException) =>
          resolve({
            kind: e.code === 'ECONNREFUSED' ? 'refused' : 'cut',
            sentAfterSigterm,
            connectionClose: false,
            ...(e.code ? { code: e.code } : {}),
          }),
        );
        req.end();
      }),
    );
  };
  let n = 0;
  const timer = setInterval(() => {
    if (stopped) return;
    for (let i = 0; i < rate / 50; i++) fire(paths[n++ % paths.length] ?? '/health');
  }, 20);
  return {
    markSigterm: () => {
      sigtermAt = Date.now();
    },
    async stop(): Promise<Outcome[]> {
      stopped = true;
      clearInterval(timer);
      const all = await Promise.all(outcomes);
      agent.destroy();
      return all;
    },
  };
}

const PATHS = ['/api/sheets/1', '/api/users/2', '/api/sheets/3/comments', '/api/sheets/4/rows'];

let svc: ServiceProcess | undefined;
afterEach(async () => {
  await svc?.stop(2_000);
  svc = undefined;
});

describe('SIGTERM drains keep-alive clients (real service process)', () => {
  it('at ~300 req/s: 0 cut requests, Connection: close while draining, exit well before the deadline', async () => {
    const deadlineMs = 8_000;
    svc = await startService({
      FEATURE_CACHE: 'true',
      CACHE_IMPL: 'memory',
      // sheet ~40 ms, rows ~200 ms: many requests are in flight at any time.
      SOURCE_LATENCY_SCALE: '0.3',
      SHUTDOWN_TIMEOUT_MS: String(deadlineMs),
    });
    const s = svc;
    const load = keepAliveLoad(s.url, 300, PATHS);
    await new Promise((r) => setTimeout(r, 2_000));
    const t0 = Date.now();
    load.markSigterm();
    s.child.kill('SIGTERM');
    // Keep the load on through the drain, as a client that has not noticed yet would.
    const code = await new Promise<number | null>((resolve) => s.child.once('exit', resolve));
    const exitMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 300));
    const outcomes = await load.stop();

    const count = (pred: (o: Outcome) => boolean) => outcomes.filter(pred).length;
    const cut = outcomes.filter((o) => o.kind === 'cut');
    const answeredDuringDrain = outcomes.filter((o) => o.sentAfterSigterm && o.kind === 'ok');
    console.log(
      `drain: ${outcomes.length} requests, ok ${count((o) => o.kind === 'ok')}, ` +
        `answered during drain ${answeredDuringDrain.length}, refused ${count((o) => o.kind === 'refused')}, ` +
        `cut ${cut.length}, exit after ${exitMs} ms`,
    );
    expect(cut.map((o) => o.code)).toEqual([]);
    expect(count((o) => o.kind === 'http-error')).toBe(0);
    expect(count((o) => o.kind === 'ok')).toBeGreaterThan(400);
    // Every answer to a request sent while draining told the client to close.
    expect(answeredDuringDrain.every((o) => o.connectionClose)).toBe(true);
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(deadlineMs - 2_000);
    expect(s.output()).not.toContain('shutdown timeout');
    expect(s.output()).toContain('shutdown complete');
  });

  it('the forced close at SHUTDOWN_TIMEOUT_MS cuts only what still runs then, and says how many', async () => {
    svc = await startService({
      FEATURE_CACHE: 'true',
      CACHE_IMPL: 'memory',
      // rows ~6.5 s: still running at the 1.5 s deadline; sheet ~0.6 s finishes before it.
      SOURCE_LATENCY_SCALE: '10',
      SHUTDOWN_TIMEOUT_MS: '1500',
    });
    const s = svc;
    const agent = new Agent({ keepAlive: true });
    const get = (path: string) =>
      new Promise<string>((resolve) => {
        const req = request(`${s.url}${path}`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(`${res.statusCode}`));
        });
        req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
        req.end();
      });
    const slow = get('/api/sheets/1/rows');
    const fast = get('/api/sheets/2');
    await new Promise((r) => setTimeout(r, 200));
    s.child.kill('SIGTERM');
    expect(await fast).toBe('200');
    expect(await slow).toBe('ECONNRESET');
    await new Promise<unknown>((resolve) =>
      s.child.exitCode === null ? s.child.once('exit', resolve) : resolve(null),
    );
    agent.destroy();
    expect(s.output()).toMatch(
      /"msg":"shutdown timeout: closed the remaining connections".*"cutRequests":1/,
    );
  });
});
