import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './prometheus.ts';
import { connectRedis } from './redis.ts';

/** A `redis-server` of a test's own (its config may be changed; the shared one's may not). */
export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Absolute path of `redis-server`; throws saying how to install it when missing. */
export function requireRedisServer(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'redis-server not found: run `make setup` (apt-get install -y --no-install-recommends redis-server)',
    );
  }
}

/**
 * Starts `redis-server` on a free loopback port with `args` (e.g. `['--maxmemory', '8mb']`),
 * nothing persisted, and waits until it answers PING.
 */
export async function startRedis(args: readonly string[] = []): Promise<OwnRedis> {
  const bin = requireRedisServer();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'own-redis-'));
  const proc: ChildProcess = spawn(
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
      ...args,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const c = await connectRedis(url);
      await c.quit();
      break;
    } catch {
      if (i > 50 || proc.exitCode !== null)
        throw new Error(`redis-server ${args.join(' ')} did not start:\n${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    port,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fields of `INFO memory` of the Redis at `url`. */
export async function memoryInfo(url: string): Promise<Record<string, number>> {
  const c = await connectRedis(url);
  try {
    const out: Record<string, number> = {};
    for (const line of (await c.info('memory')).split('\r\n')) {
      const [k, v] = line.split(':');
      if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
    }
    return out;
  } finally {
    await c.quit();
  }
}

/** `INFO memory` `used_memory` of the Redis at `url`. */
export async function usedMemory(url: string): Promise<number> {
  return (await memoryInfo(url)).used_memory ?? Number.NaN;
}

/**
 * `used_memory` without client buffers (`mem_clients_normal`): what the keyspace holds.
 * Client query buffers grow under pipelined load and shrink only after 2 s idle, which
 * would otherwise blur a per-entry measurement by tens of KB.
 */
export async function keyspaceMemory(url: string): Promise<number> {
  const m = await memoryInfo(url);
  return (m.used_memory ?? Number.NaN) - (m.mem_clients_normal ?? 0);
}
