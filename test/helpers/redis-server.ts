import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

/** A redis-server of the test's own (never the shared one on 6379). */
export interface OwnRedis {
  readonly port: number;
  /** `redis://[:password@]127.0.0.1:<port>` */
  url(password?: string): string;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` on `port` with extra `args` (e.g. `--requirepass x`,
 * `--maxmemory 2mb`), no persistence, and resolves once it accepts connections. For
 * tests that change Redis' configuration: they must not touch the shared server.
 */
export async function startOwnRedis(port: number, args: string[] = []): Promise<OwnRedis> {
  let child: ChildProcess;
  try {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } catch (err) {
    throw new Error(`cannot start redis-server (${String(err)})`);
  }
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const spawnFailed = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(
        new Error(
          `redis-server did not start (${err.message}). Install it: apt-get install -y --no-install-recommends redis-server`,
        ),
      ),
    );
    child.once('exit', (code) =>
      reject(new Error(`redis-server on port ${port} exited with ${code}:\n${out}`)),
    );
  });
  const deadline = Date.now() + 10_000;
  while (!(await Promise.race([accepts(port), spawnFailed]))) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} not ready within 10 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  spawnFailed.catch(() => {});
  return {
    port,
    url: (password) => `redis://${password ? `:${password}@` : ''}127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
