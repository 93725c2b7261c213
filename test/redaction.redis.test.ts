import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnRedis, startRedis } from './helpers/redis-server.ts';
import { startService } from './helpers/service-process.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs the real service until it exits; resolves with its code and all it wrote. */
function runToExit(env: Record<string, string>, timeoutMs = 30_000) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'service/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return new Promise<{ code: number | null; out: string }>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const redisOn = { FEATURE_CACHE: 'true', CACHE_IMPL: 'redis' };

describe('credentials in REDIS_URL never reach any output (real service process)', () => {
  // Each case: a password, and the env that carries it. Every one must stop the service
  // with exit 1, name the variable and never print the password (raw or decoded).
  const badStarts: {
    name: string;
    password: string;
    env: Record<string, string>;
    names: string;
  }[] = [
    {
      name: 'port out of range (the TypeError crash of issue 11)',
      password: 'secretpass',
      env: { ...redisOn, REDIS_URL: 'redis://:secretpass@127.0.0.1:99999' },
      names: 'REDIS_URL',
    },
    {
      name: 'port 0',
      password: 'zeroportpw',
      env: { ...redisOn, REDIS_URL: 'redis://:zeroportpw@127.0.0.1:0' },
      names: 'REDIS_URL',
    },
    {
      name: 'user and password, database not a number',
      password: 'dbpass-9f2',
      env: { ...redisOn, REDIS_URL: 'redis://default:dbpass-9f2@127.0.0.1:6379/zero' },
      names: 'REDIS_URL',
    },
    {
      name: 'space in the host',
      password: 'spacepw77',
      env: { ...redisOn, REDIS_URL: 'redis://:spacepw77@bad host:6379' },
      names: 'REDIS_URL',
    },
    {
      name: 'wrong scheme',
      password: 'httppass1',
      env: { ...redisOn, REDIS_URL: 'http://:httppass1@127.0.0.1:6379' },
      names: 'REDIS_URL',
    },
    {
      name: 'broken percent-encoding in the password',
      password: 'pct%zzpass',
      env: { ...redisOn, REDIS_URL: 'redis://:pct%zzpass@127.0.0.1:6379' },
      names: 'REDIS_URL',
    },
    {
      name: 'a percent-encoded password (decoded form must not leak either)',
      password: 'enc%40oded',
      env: { ...redisOn, REDIS_URL: 'redis://:enc%40oded@127.0.0.1:6379?tls=1' },
      names: 'REDIS_URL',
    },
    {
      name: 'unterminated IPv6 host',
      password: 'ipv6pass',
      env: { ...redisOn, REDIS_URL: 'redis://:ipv6pass@[::1:6379' },
      names: 'REDIS_URL',
    },
    {
      name: 'valid URL, the password pasted into another variable too',
      password: 'pastedpw42',
      env: {
        ...redisOn,
        REDIS_URL: 'redis://:pastedpw42@127.0.0.1:6379',
        REDIS_TIMEOUT_MS: 'pastedpw42',
      },
      names: 'REDIS_TIMEOUT_MS',
    },
  ];

  for (const c of badStarts) {
    it(`${c.name}: exit 1 naming ${c.names}, password absent`, async () => {
      const { code, out } = await runToExit(c.env);
      expect(code, out).toBe(1);
      expect(out).toMatch(new RegExp(`\\b${c.names}\\b`));
      for (const form of [c.password, decodeURIComponentSafe(c.password)]) {
        expect(out).not.toContain(form);
      }
      // No stack trace of an uncaught error either.
      expect(out).not.toMatch(/\n\s+at /);
    });
  }
});

describe('a running service with a wrong password (own redis-server with requirepass)', () => {
  let redis: OwnRedis;
  beforeAll(async () => {
    redis = await startRedis([], { password: 'the-right-one' });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  for (const l1 of ['false', 'true']) {
    it(`CACHE_L1=${l1}: serves 200s, logs the auth failure, never prints the password`, async () => {
      const password = 'wrong-but-secret-7c1';
      const svc = await startService({
        ...redisOn,
        CACHE_L1: l1,
        SOURCE_LATENCY_SCALE: '0',
        REDIS_URL: redis.urlWith(password),
        LOG_LEVEL: 'debug',
      });
      try {
        for (let i = 1; i <= 20; i++) {
          const r = await fetch(`${svc.url}/api/users/${i}`);
          expect(r.status).toBe(200);
        }
        const status = await (await fetch(`${svc.url}/internal/cache`)).text();
        const metrics = await (await fetch(`${svc.url}/metrics/prom`)).text();
        // Wait for the client's error log (reconnect attempts), then check everything.
        const deadline = Date.now() + 10_000;
        while (!/WRONGPASS/.test(svc.output()) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(svc.output()).toMatch(/WRONGPASS/);
        for (const text of [svc.output(), status, metrics]) expect(text).not.toContain(password);
      } finally {
        await svc.stop();
      }
      expect(svc.output()).not.toContain(password);
    });
  }
});

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
