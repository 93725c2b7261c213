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

/** One GET over `agent`; how it ended. */
function get(agent: Agent, url: string, sentAfterSigterm: boolean): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          kind: res.statusCode === 200 ? 'ok' : 'http-error',
          sentAfterSigterm,
          connectionClose: res.headers.connection === 'close',
        }),
      );
      res.on('error', (e: NodeJS.ErrnoException) =>
        resolve({ kind: 'cut', sentAfterSigterm, connectionClose: false, code: e.code ?? 'error' }),
      );
    });
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve({
        kind: e.code === 'ECONNREFUSED' ? 'refused' : 'cut',
        sentAfterSigterm,
        connectionClose: false,
        code: e.code ?? 'error',
      }),
    );
    req.end();
  });
}

/**
 * Closed-loop keep-alive clients (like wrk or autocannon): each worker keeps one
 * connection and sends its next request as soon as the previous answer arrives, so its
 * socket is hardly ever idle. A worker stops when refused (it would fail over to another
 * replica). `refused` = never reached the server; `cut` = sent on a connection, never answered.
 */
function keepAliveLoad(url: string, workers: number, paths: readonly string[]) {
  const outcomes: Outcome[] = [];
  const lastOk: (Outcome | undefined)[] = [];
  const ends: Outcome[] = [];
  let sigtermAt = Number.POSITIVE_INFINITY;
  let stopped = false;
  const started = Date.now();
  const worker = async (w: number) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = w; !stopped; i++) {
      const o = await get(agent, `${url}${paths[i % paths.length]}`, Date.now() >= sigtermAt);
      outcomes.push(o);
      if (o.kind !== 'ok') {
        ends[w] = o;
        break;
      }
      lastOk[w] = o;
    }
    agent.destroy();
  };
  const running = Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return {
    markSigterm: () => {
      sigtermAt = Date.now();
    },
    /** Requests per second answered before SIGTERM. */
    rateBeforeSigterm: () =>
      (outcomes.filter((o) => !o.sentAfterSigterm).length / (sigtermAt - started)) * 1000,
    async stop(): Promise<{ outcomes: Outcome[]; lastOk: typeof lastOk; ends: Outcome[] }> {
      stopped = true;
      await running;
      return { outcomes, lastOk, ends };
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
      // Observe only: every request reaches the source (no instant cache hits), so 30
      // workers make ~300 req/s; sheet ~40 ms, rows ~200 ms.
      FEATURE_CACHE: 'true',
      CACHE_IMPL: 'null',
      SOURCE_LATENCY_SCALE: '0.3',
      SHUTDOWN_TIMEOUT_MS: String(deadlineMs),
    });
    const s = svc;
    const workers = 30;
    const load = keepAliveLoad(s.url, workers, PATHS);
    await new Promise((r) => setTimeout(r, 2_000));
    const t0 = Date.now();
    load.markSigterm();
    s.child.kill('SIGTERM');
    // Keep the load on through the drain, as a client that has not noticed yet would.
    const code = await new Promise<number | null>((resolve) => s.child.once('exit', resolve));
    const exitMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 300));
    const { outcomes, lastOk, ends } = await load.stop();

    const rate = load.rateBeforeSigterm();
    const count = (pred: (o: Outcome) => boolean) => outcomes.filter(pred).length;
    const cut = outcomes.filter((o) => o.kind === 'cut');
    const answeredDuringDrain = outcomes.filter((o) => o.sentAfterSigterm && o.kind === 'ok');
    console.log(
      `drain: ${rate.toFixed(0)} req/s before SIGTERM; ${outcomes.length} requests, ok ${count((o) => o.kind === 'ok')}, ` +
        `answered during drain ${answeredDuringDrain.length}, refused ${count((o) => o.kind === 'refused')}, ` +
        `cut ${cut.length}, exit after ${exitMs} ms`,
    );
    expect(rate).toBeGreaterThan(200);
    expect(cut.map((o) => o.code)).toEqual([]);
    expect(count((o) => o.kind === 'http-error')).toBe(0);
    expect(count((o) => o.kind === 'ok')).toBeGreaterThan(400);
    // The server ended every keep-alive connection by answering `Connection: close`; the
    // worker's next request then found the listener closed (refused, never cut).
    expect(lastOk.map((o) => o?.connectionClose)).toEqual(Array(workers).fill(true));
    expect(ends.map((o) => o.kind)).toEqual(Array(workers).fill('refused'));
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

  it('an idle keep-alive connection is closed after the 1 s idle grace (not at once), then the process exits', async () => {
    svc = await startService({ SOURCE_LATENCY_SCALE: '0', SHUTDOWN_TIMEOUT_MS: '10000' });
    const s = svc;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await get(agent, `${s.url}/api/users/1`, false);
    expect(first).toMatchObject({ kind: 'ok', connectionClose: false });
    const socketClosed = new Promise<number>((resolve) => {
      const free = Object.values(agent.freeSockets).flat()[0];
      free?.once('close', () => resolve(Date.now()));
    });
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    s.child.kill('SIGTERM');
    const closedAfter = (await socketClosed) - t0;
    const code = await new Promise<number | null>((resolve) =>
      s.child.exitCode === null ? s.child.once('exit', resolve) : resolve(s.child.exitCode),
    );
    agent.destroy();
    expect(code).toBe(0);
    // Idle 200 ms at SIGTERM: closed once it has been idle 1 s, checked every 100 ms.
    expect(closedAfter).toBeGreaterThanOrEqual(700);
    expect(closedAfter).toBeLessThan(3_000);
    expect(s.output()).not.toContain('shutdown timeout');
  });
});
