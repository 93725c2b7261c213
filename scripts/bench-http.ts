/**
 * HTTP hot path: `GET /api/users/1`, every request a cache hit (`CACHE_IMPL=memory`,
 * `FEATURE_CACHE=true`), the real service process (`service/main.ts`) against a bare
 * Express 5 app answering the same JSON body from a `Map` (`scripts/bench/bare-express.ts`).
 * Prints requests/s of each round and the median ratio service ÷ bare (goal ≥ 0.95).
 *
 * Both servers run at the same time, pinned to the same core (`taskset -c 0`), each driven
 * by its own `wrk -t1 -c50` on the other core for the same seconds. The kernel shares the
 * core between the two busy servers evenly, so the ratio of their requests/s is the
 * inverse ratio of their CPU per request, measured under the same conditions. Measured in
 * turns instead (one server, then the other) the same ratio moved by ±15 % between rounds
 * on these machines, because the CPU's own speed drifts; served together, a bare app
 * against a second bare app reads 0.96–1.01 (`--calibrate`).
 *
 *   npx tsx scripts/bench-http.ts [--rounds 6] [--seconds 5] [--connections 50] [--calibrate]
 *
 * Needs `wrk` (apt-get install -y wrk) and `taskset` (util-linux). Not part of `make test`.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { median } from './bench/measure.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    'service-port': { type: 'string', default: '18951' },
    'bare-port': { type: 'string', default: '18952' },
    calibrate: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const PATH = '/api/users/1';

function requireTools(): void {
  for (const [tool, args, install] of [
    ['wrk', ['--version'], 'apt-get install -y wrk'],
    ['taskset', ['--version'], 'apt-get install -y util-linux'],
  ] as const) {
    try {
      execFileSync(tool, args, { stdio: 'pipe' });
    } catch (err) {
      // wrk --version exits 1 after printing its version; only a missing binary is fatal.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        process.stderr.write(`bench-http needs ${tool}: ${install}\n`);
        process.exit(1);
      }
    }
  }
}

/** Starts `script` pinned to core 0 (where both servers share the CPU). */
function start(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn('taskset', ['-c', '0', process.execPath, '--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') {
      process.stderr.write(`${script} exited (${code ?? signal})\n`);
      process.exit(1);
    }
  });
  return child;
}

async function waitFor(url: string): Promise<Response> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return res;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within 20 s`);
    await sleep(100);
  }
}

/** Runs `wrk` on core 1 for `secs` seconds; resolves with its requests/s. */
function wrk(url: string, secs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      'taskset',
      ['-c', '1', 'wrk', '-t1', `-c${connections}`, `-d${secs}s`, url],
      { encoding: 'utf8' },
      (err, out) => {
        if (err) return reject(err);
        const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
        if (!m) return reject(new Error(`no Requests/sec in wrk output:\n${out}`));
        if (/Non-2xx or 3xx responses/.test(out))
          return reject(new Error(`wrk saw errors:\n${out}`));
        resolve(Number(m[1]));
      },
    );
  });
}

/** Both URLs driven at once for `secs` seconds: [requests/s of a, of b]. */
const together = (a: string, b: string, secs: number): Promise<[number, number]> =>
  Promise.all([wrk(a, secs), wrk(b, secs)]);

async function main(): Promise<void> {
  requireTools();
  const servicePort = values['service-port'];
  const barePort = values['bare-port'];
  const service = start('service/main.ts', {
    PORT: servicePort,
    CACHE_IMPL: 'memory',
    FEATURE_CACHE: 'true',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
  });
  const serviceUrl = `http://127.0.0.1:${servicePort}${PATH}`;
  await waitFor(serviceUrl); // the miss that fills the cache
  const hit = await waitFor(serviceUrl);
  const status = hit.headers.get('cache-status') ?? '';
  if (!/;\s*hit/.test(status))
    throw new Error(`second GET ${PATH} was not a hit: Cache-Status ${status}`);
  const body = await hit.text();
  const dir = mkdtempSync(join(tmpdir(), 'bench-http-'));
  writeFileSync(join(dir, 'body.json'), body);
  const bare = start('scripts/bench/bare-express.ts', {
    PORT: barePort,
    BARE_BODY_FILE: join(dir, 'body.json'),
  });
  const bareUrl = `http://127.0.0.1:${barePort}${PATH}`;
  const bareBody = await (await waitFor(bareUrl)).text();
  if (bareBody !== body) throw new Error('the bare app answers a different body');

  // --calibrate: the bare app against a second bare app (what "equal" reads as).
  const other = values.calibrate
    ? start('scripts/bench/bare-express.ts', {
        PORT: servicePort,
        BARE_BODY_FILE: join(dir, 'body.json'),
      })
    : undefined;
  if (other) {
    service.kill('SIGTERM');
    await sleep(500);
    await waitFor(serviceUrl);
  }
  const label = other ? 'bare #2' : 'service';
  process.stdout.write(
    `\nHTTP: GET ${PATH}, ${other ? 'calibration: bare app against bare app' : 'all hits (memory)'}, both served at once on core 0, wrk -t1 -c${connections} each on core 1, ${rounds} rounds of ${seconds} s\n`,
  );
  await together(serviceUrl, bareUrl, 2); // warm-up (JIT) of both
  const ratios: number[] = [];
  const svc: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which wrk starts first.
    const first = r % 2 === 0;
    const [x, y] = await together(
      first ? serviceUrl : bareUrl,
      first ? bareUrl : serviceUrl,
      seconds,
    );
    const [s, b] = first ? [x, y] : [y, x];
    svc.push(s);
    base.push(b);
    ratios.push(s / b);
    process.stdout.write(
      `  round ${r + 1}: ${label} ${s.toFixed(0).padStart(6)} req/s  bare ${b.toFixed(0).padStart(6)} req/s  ${(s / b).toFixed(2)}×\n`,
    );
  }
  process.stdout.write(
    `  median: ${label} ${median(svc).toFixed(0)} req/s, bare ${median(base).toFixed(0)} req/s (each on half a core), ratio ${median(ratios).toFixed(2)}× (range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}${other ? '' : '; goal ≥ 0.95'})\n`,
  );
  other?.kill('SIGTERM');
  service.kill('SIGTERM');
  bare.kill('SIGTERM');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
