import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const INSTALL = 'run `make setup` (apt-get install -y --no-install-recommends prometheus)';

/** Absolute path of a Prometheus binary; throws saying how to install it when missing. */
export function requireBinary(name: 'promtool' | 'prometheus'): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`${name} not found: ${INSTALL}`);
  }
}

/** Result of one promtool run. */
export interface PromtoolResult {
  readonly code: number | null;
  readonly output: string;
}

/** Runs `promtool args…` in `cwd` and returns its exit code and combined output. */
export function promtool(args: readonly string[], cwd: string): PromtoolResult {
  const r = spawnSync(requireBinary('promtool'), args, { cwd, encoding: 'utf8' });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A fresh temp dir with `files` written into it; `cleanup()` removes it. */
export function tempDirWith(files: Readonly<Record<string, string>>): {
  dir: string;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'metasheet-prom-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A free TCP port on loopback (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A running Prometheus server on loopback. */
export interface PrometheusServer {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  /** Instant query; resolves with the `data.result` array, rejects on a query error. */
  query(expr: string): Promise<PromSample[]>;
  /** GET an API path (e.g. `/api/v1/rules`) and return the parsed `data`. */
  api<T>(path: string): Promise<T>;
  stop(): Promise<void>;
}

/** One series of an instant-query result. */
export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/**
 * Starts `prometheus` with `config` (YAML) and `files` (e.g. rule files referenced by the
 * config) in a temp dir, listening on a free loopback port, and waits for `/-/ready`.
 */
export async function startPrometheus(
  config: string,
  files: Readonly<Record<string, string>> = {},
  opts: { readonly dataDir?: string; readonly retention?: string } = {},
): Promise<PrometheusServer> {
  const bin = requireBinary('prometheus');
  const tmp = tempDirWith({ ...files, 'prometheus.yml': config });
  const port = await freePort();
  const child = spawn(
    bin,
    [
      `--config.file=${join(tmp.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${opts.dataDir ?? join(tmp.dir, 'data')}`,
      ...(opts.retention ? [`--storage.tsdb.retention.time=${opts.retention}`] : []),
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { cwd: tmp.dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    tmp.cleanup();
  };
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${res.status} ${body.error ?? ''}`);
    return body.data;
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`prometheus exited with ${child.exitCode}:\n${out}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready within 10 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => out,
    api,
    query: async (expr) =>
      (await api<{ result: PromSample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`))
        .result,
    stop,
  };
}
