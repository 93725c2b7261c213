import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServiceProcess, startService } from './helpers/service-process.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** A port of this worktree's range (7100-7199) for the busy-port case. */
const BUSY_PORT = '7150';

function makeDev(env: Record<string, string>) {
  // -o: never let the test run the `npm ci` prerequisite (it would rewrite node_modules).
  const child = spawn('make', ['-s', '-o', 'node_modules/.package-lock.json', 'dev'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => out };
}

/** Pids of every descendant of `pid` whose command line contains `needle` (via ps). */
function descendants(pid: number, needle: string): number[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] ?? '' }));
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const r of rows.filter((x) => x.ppid === parent)) {
      if (r.args.includes(needle)) found.push(r.pid);
      walk(r.pid);
    }
  };
  walk(pid);
  return found;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const started: ChildProcess[] = [];
let svc: ServiceProcess | undefined;
afterEach(async () => {
  for (const c of started.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await svc?.stop(2_000);
  svc = undefined;
});

describe('make dev (real make, real service)', () => {
  it('SIGTERM to the make pid reaches node: it drains, logs shutdown complete and is gone', async () => {
    const dev = makeDev({ PORT: '0', SOURCE_LATENCY_SCALE: '0' });
    started.push(dev.child);
    const deadline = Date.now() + 30_000;
    let m: RegExpExecArray | null = null;
    while (!m && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      m = /"msg":"listening on http:\/\/127\.0\.0\.1:(\d+)"/.exec(dev.output());
    }
    expect(m, dev.output()).not.toBeNull();
    const port = Number(m?.[1]);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    // Every process under make running the service (one with exec; npx left a chain).
    const servicePids = descendants(dev.child.pid ?? -1, 'service/main.ts');
    expect(servicePids.length).toBeGreaterThan(0);

    dev.child.kill('SIGTERM');
    await dev.exited;
    const gone = Date.now() + 5_000;
    while (servicePids.some(alive) && Date.now() < gone)
      await new Promise((r) => setTimeout(r, 50));
    const survivors = servicePids.filter(alive);
    for (const pid of survivors) process.kill(pid, 'SIGKILL');
    expect(survivors).toEqual([]);
    expect(dev.output()).toContain('shutdown complete');
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('a second make dev on a busy port fails with a clear message and a non-zero exit, never logging "listening"', async () => {
    svc = await startService({ PORT: BUSY_PORT });
    const dev = makeDev({ PORT: BUSY_PORT });
    started.push(dev.child);
    const { code } = await dev.exited;
    expect(code).not.toBe(0);
    expect(dev.output()).toContain(`port ${BUSY_PORT} is already in use (EADDRINUSE)`);
    expect(dev.output()).not.toContain('listening');
    expect((await fetch(`${svc.url}/health`)).status).toBe(200);
  });
});
