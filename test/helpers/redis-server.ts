import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A redis-server of our own (never the shared 6379): free to stop, fill or reconfigure. */
export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  /** Process id (e.g. to SIGSTOP it and simulate a stall). */
  readonly pid: number;
  /** Stops the server (SIGTERM, no save); resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` on loopback `port` without persistence and waits until it accepts
 * connections. Fails saying how to install it when the binary is missing.
 */
export async function startOwnRedis(port: number): Promise<OwnRedis> {
  let bin: string;
  try {
    bin = execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'redis-server not found: apt-get install -y --no-install-recommends redis-server',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), `own-redis-${port}-`));
  const child: ChildProcess = spawn(
    bin,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited:\n${out}`);
    if (await accepts(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server on ${port} not accepting within 10 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, url: `redis://127.0.0.1:${port}`, pid: child.pid ?? 0, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
