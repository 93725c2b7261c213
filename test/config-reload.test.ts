import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConfigFile, sample, tempConfigFile, waitUntil } from './helpers/config-file.ts';
import { type ServiceProcess, startService } from './helpers/service-process.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Internal {
  enabled: boolean;
  impl: string;
  whitelist: string[] | null;
  ttlMs: number;
  health: { status: string; unknownPatterns: string[] };
  config: {
    lastResult: string;
    lastError: string | null;
    lastSuccessAt: string;
    restartPending: string[];
  } | null;
}

const internal = async (s: ServiceProcess): Promise<Internal> =>
  (await fetch(`${s.url}/internal/cache`)).json() as Promise<Internal>;
const prom = async (s: ServiceProcess): Promise<string> =>
  (await fetch(`${s.url}/metrics/prom`)).text();

let svc: ServiceProcess | undefined;
let file: ConfigFile | undefined;
afterEach(async () => {
  await svc?.stop(5_000);
  file?.remove();
  svc = undefined;
  file = undefined;
});

async function start(vars: Record<string, string>, env: Record<string, string> = {}) {
  file = tempConfigFile(vars);
  svc = await startService({
    CACHE_CONFIG_FILE: file.path,
    CACHE_CONFIG_POLL_MS: '200',
    SOURCE_LATENCY_SCALE: '0',
    ...env,
  });
  return { svc, file };
}

describe('CACHE_CONFIG_FILE reload (real service process)', () => {
  it('a bad file changes nothing: running config stays, error names the variable, counted as failure', async () => {
    const { svc, file } = await start({
      FEATURE_CACHE: 'true',
      CACHE_IMPL: 'memory',
      CACHE_PATTERNS: 'sheet',
    });
    const before = await internal(svc);
    expect(sample(await prom(svc), 'cache_config_last_reload_successful')).toBe(1);
    const goodAt = sample(await prom(svc), 'cache_config_last_reload_success_timestamp_seconds');

    // Valid whitelist next to an invalid flag: nothing of the file may apply.
    file.write({ FEATURE_CACHE: 'maybe', CACHE_IMPL: 'null', CACHE_PATTERNS: 'user' });
    await waitUntil(
      async () => (await internal(svc)).config?.lastResult === 'failure',
      5_000,
      'failed reload',
    );
    const after = await internal(svc);
    expect([after.enabled, after.impl, after.whitelist]).toEqual([true, 'memory', ['sheet']]);
    expect(after.config?.lastError).toMatch(/FEATURE_CACHE must be true or false/);
    expect(after.config?.lastSuccessAt).toBe(before.config?.lastSuccessAt);
    // /health (reachable in production) says that it failed, without the error text.
    const health = await (await fetch(`${svc.url}/health`)).text();
    expect(JSON.parse(health).config).toEqual({
      lastReload: 'failure',
      lastSuccessAt: before.config?.lastSuccessAt,
    });
    expect(health).not.toContain('maybe');
    const text = await prom(svc);
    expect(sample(text, 'cache_config_reloads_total{result="failure"}')).toBe(1);
    expect(sample(text, 'cache_config_reloads_total{result="success"}')).toBe(0);
    expect(sample(text, 'cache_config_last_reload_successful')).toBe(0);
    expect(sample(text, 'cache_config_last_reload_success_timestamp_seconds')).toBe(goodAt);
    expect(svc.output()).toMatch(
      /"msg":"configuration reload failed; the running configuration stays".*FEATURE_CACHE/,
    );

    // An unknown variable (typo) is a failure too, named; the next good file applies.
    file.writeText('FEATURE_CAHCE=false\n');
    await waitUntil(
      async () => /FEATURE_CAHCE/.test((await internal(svc)).config?.lastError ?? ''),
      5_000,
      'unknown variable named',
    );
    expect((await internal(svc)).enabled).toBe(true);
    file.write({ FEATURE_CACHE: 'false' });
    await waitUntil(async () => !(await internal(svc)).enabled, 5_000, 'good reload');
    const ok = await prom(svc);
    expect(sample(ok, 'cache_config_reloads_total{result="failure"}')).toBe(2);
    expect(sample(ok, 'cache_config_reloads_total{result="success"}')).toBe(1);
    expect(sample(ok, 'cache_config_last_reload_successful')).toBe(1);
    expect(sample(ok, 'cache_enabled{impl="memory"}')).toBe(0);
  });

  it('SIGHUP reloads (no polling needed); restart-only variables are reported, not applied', async () => {
    const { svc, file } = await start(
      { FEATURE_CACHE: 'true', CACHE_IMPL: 'memory' },
      { CACHE_CONFIG_POLL_MS: '60000' },
    );
    file.write({
      FEATURE_CACHE: 'true',
      CACHE_IMPL: 'memory',
      CACHE_TTL_SECONDS: '42',
      CACHE_KEY_PATTERN_LIMIT: '7',
    });
    await new Promise((r) => setTimeout(r, 300));
    expect((await internal(svc)).ttlMs).toBe(300_000); // the poll (60 s) has not run
    svc.child.kill('SIGHUP');
    await waitUntil(async () => (await internal(svc)).ttlMs === 42_000, 5_000, 'SIGHUP reload');
    const s = await internal(svc);
    expect(s.config?.restartPending).toEqual(['CACHE_KEY_PATTERN_LIMIT']);
    expect(sample(await prom(svc), 'cache_key_pattern_limit')).toBe(50);
    expect(svc.output()).toMatch(/needs? a restart.*CACHE_KEY_PATTERN_LIMIT/);
    expect(svc.child.exitCode).toBeNull(); // SIGHUP no longer kills the process
  });

  it('a whitelisted pattern the service has never seen is warned about and reported, at start and on reload', async () => {
    const { svc, file } = await start({
      FEATURE_CACHE: 'true',
      CACHE_IMPL: 'memory',
      CACHE_PATTERNS: 'users',
    });
    expect(svc.output()).toMatch(/"level":"warn".*never seen.*"unknownPatterns":\["users"\]/);
    const health = (await (await fetch(`${svc.url}/health`)).json()) as {
      cache: { unknownPatterns: string[] };
    };
    expect(health.cache.unknownPatterns).toEqual(['users']);
    expect((await internal(svc)).health.unknownPatterns).toEqual(['users']);

    file.write({ FEATURE_CACHE: 'true', CACHE_IMPL: 'memory', CACHE_PATTERNS: 'user,sheeet' });
    await waitUntil(
      async () => (await internal(svc)).health.unknownPatterns.join() === 'sheeet',
      5_000,
      'reload with a typo',
    );
    expect(svc.output()).toMatch(/never seen.*"unknownPatterns":\["sheeet"\]/);
  });
});

/** Runs the entry point with `env` until it exits (it must fail fast). */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'service/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve({ code: c, stderr: err });
    });
  });
}

describe('typos in the environment stop the start (exit 1 naming the variable)', () => {
  it.each([' ', ',', 'sheet,,user'])('CACHE_PATTERNS=%j', async (value) => {
    const { code, stderr } = await runToExit({ CACHE_PATTERNS: value });
    expect(code).toBe(1);
    expect(stderr).toContain('CACHE_PATTERNS has an empty entry');
  });

  it('SHUTDOWN_TIMEOUT_MS=0', async () => {
    const { code, stderr } = await runToExit({ SHUTDOWN_TIMEOUT_MS: '0' });
    expect(code).toBe(1);
    expect(stderr).toContain('SHUTDOWN_TIMEOUT_MS must be an integer from 1 to 600000');
  });
});

describe('CACHE_CONFIG_FILE at start', () => {
  it.each([
    ['a missing file', null, /CACHE_CONFIG_FILE ".*" cannot be read \(ENOENT\)/],
    ['an invalid value', 'CACHE_PATTERNS=,\n', /CACHE_PATTERNS has an empty entry/],
  ])('%s stops the start with exit 1 naming the variable', async (_what, text, message) => {
    const f = tempConfigFile({});
    if (text === null) f.remove();
    else f.writeText(text);
    const { code, stderr } = await runToExit({ CACHE_CONFIG_FILE: f.path });
    f.remove();
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
  });
});
