import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { UNPARSABLE_NOT_SHOWN } from '../service/redact.ts';
import { type ServiceProcess, startService } from './helpers/service-process.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs the entry point with `env` until it exits; resolves with its code and stderr. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'service/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('service process: invalid configuration stops the start with exit 1 naming the variable', () => {
  const bad: Record<string, string> = {
    PORT: 'eighty',
    NODE_ENV: 'prod',
    FEATURE_CACHE: 'maybe',
    CACHE_IMPL: 'memcached',
    CACHE_KEY_PATTERN_LIMIT: '-3',
    CACHE_PATTERNS: 'Sheets!',
    CACHE_AB_CONTROL_PERCENT: '150',
    REDIS_URL: 'localhost',
    SOURCE_LATENCY_SCALE: 'fast',
  };
  it.concurrent.each(Object.entries(bad))('%s=%s', async (name, value) => {
    const { code, stderr } = await runToExit({ [name]: value });
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`\\b${name}\\b`));
    // REDIS_URL may hold credentials: an unparsable one is never echoed (test/redaction.redis.test.ts).
    if (name === 'REDIS_URL') expect(stderr).toContain(UNPARSABLE_NOT_SHOWN);
    else expect(stderr).toContain(JSON.stringify(value));
  });
});

describe('service process: graceful shutdown on SIGTERM', () => {
  let svc: ServiceProcess | undefined;
  afterAll(async () => {
    await svc?.stop(2_000);
  });

  it('finishes in-flight requests, refuses new ones, exits 0', async () => {
    svc = await startService({
      FEATURE_CACHE: 'true',
      CACHE_IMPL: 'memory',
      SOURCE_LATENCY_SCALE: '1',
    });
    expect(svc.output()).toContain('Cache: enabled (impl: MemoryCache)');
    // rows takes ~650 ms at scale 1: it is in flight when SIGTERM arrives.
    const inFlight = fetch(`${svc.url}/api/sheets/1/rows`).then(async (r) => ({
      status: r.status,
      body: await r.json(),
    }));
    await new Promise((r) => setTimeout(r, 150));
    const exited = svc.stop();
    const done = await inFlight;
    expect(done.status).toBe(200);
    expect(Array.isArray(done.body)).toBe(true);
    expect(await exited).toBe(0);
    await expect(fetch(`${svc.url}/health`)).rejects.toThrow();
    expect(svc.output()).toContain('shutdown complete');
  });

  it('logs the startup line for the default configuration', async () => {
    const s = await startService({});
    try {
      expect(s.output()).toContain('Cache: disabled (impl: NullCache)');
    } finally {
      await s.stop();
    }
  });
});
