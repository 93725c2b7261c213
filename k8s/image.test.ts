import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { parseManifests } from './chart.ts';
import { LAYOUT } from './layout.ts';
import { POD_USER_ID, SERVICE_PORT } from './service-env.ts';
import { readRepoFile } from './staging.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const instructions = dockerfile.split('\n').filter((l) => /^[A-Z]+ /.test(l));

/** Files of the repo that .dockerignore lets into the build context (its `**` then `!…` style). */
function imageFiles(): string[] {
  const rules = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const toRegex = (glob: string) =>
    new RegExp(
      `^${glob
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '(.*/)?')
        .replace(/\*\*/g, '.*')
        .replace(/\*/g, '[^/]*')}${glob.endsWith('/') ? '' : '(/.*)?'}`,
    );
  // Everything is ignored (`**`) except the `!` entries, so only those need walking.
  const walk = (path: string): string[] => {
    const full = join(ROOT, path);
    if (!existsSync(full)) return [];
    if (!statSync(full).isDirectory()) return [path];
    return readdirSync(full).flatMap((name) => walk(join(path, name)));
  };
  const roots = rules.filter((r) => r.startsWith('!')).map((r) => r.slice(1).replace(/\/$/, ''));
  return roots.flatMap(walk).filter((file) => {
    let included = true;
    for (const rule of rules) {
      const negated = rule.startsWith('!');
      if (toRegex(negated ? rule.slice(1) : rule).test(file)) included = negated;
    }
    return included;
  });
}

/** The files the Dockerfile's COPY instructions take from the build context. */
function copiedFiles(): string[] {
  const sources = instructions
    .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
    .flatMap((l) => l.split(/\s+/).slice(1, -1))
    .map((s) => s.replace(/\/$/, ''));
  return imageFiles().filter((f) => sources.some((s) => f === s || f.startsWith(`${s}/`)));
}

/** Every module specifier of a TypeScript file: imports (type-only too), re-exports, import(). */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)'([^']+)'/g)].map((m) => m[1] ?? '');
}

/**
 * What must not be in the image, among `files` (repo paths; `texts` overrides contents):
 * imports of vitest, supertest or anything under test/ (or outside the copied files), and
 * TypeScript files that service/main.ts does not reach through imports (type-only imports
 * count: what a shipped file names ships with it).
 */
function imageProblems(
  files: readonly string[],
  texts: Readonly<Record<string, string>> = {},
): { testImports: string[]; unreached: string[] } {
  const shipped = new Set(files);
  const ts = files.filter((f) => f.endsWith('.ts'));
  const testImports: string[] = [];
  const edges = new Map<string, string[]>();
  for (const file of ts) {
    const targets: string[] = [];
    for (const spec of specifiers(texts[file] ?? readFileSync(join(ROOT, file), 'utf8'))) {
      if (/^(vitest|supertest)($|\/)|^@vitest\//.test(spec))
        testImports.push(`${file} imports ${spec}`);
      if (!spec.startsWith('.')) continue;
      const target = relative(ROOT, resolve(ROOT, dirname(file), spec));
      if (!shipped.has(target)) testImports.push(`${file} imports ${target}`);
      targets.push(target);
    }
    edges.set(file, targets);
  }
  const reached = new Set<string>();
  const visit = (file: string) => {
    if (reached.has(file)) return;
    reached.add(file);
    for (const t of edges.get(file) ?? []) visit(t);
  };
  visit('service/main.ts');
  return { testImports, unreached: ts.filter((f) => !reached.has(f)) };
}

describe('Dockerfile', () => {
  it('is multi-stage on node:20-slim with production dependencies only', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^FROM node:20-slim\b/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(Object.keys(pkg.dependencies)).toContain('tsx');
  });

  it('runs as the uid/gid of the pod security context and exposes the service port', () => {
    expect(dockerfile).toContain(`--uid ${POD_USER_ID}`);
    expect(dockerfile).toContain(`--gid ${POD_USER_ID}`);
    expect(instructions.filter((l) => l.startsWith('USER '))).toEqual([
      `USER ${POD_USER_ID}:${POD_USER_ID}`,
    ]);
    expect(instructions).toContain(`EXPOSE ${SERVICE_PORT}`);
    expect(instructions.at(-1)).toBe('CMD ["node", "--import", "tsx", "service/main.ts"]');
  });

  it('builds the image reference the manifests run (make image uses k8s/main.ts --print-image)', () => {
    const makefile = readFileSync(join(ROOT, 'Makefile'), 'utf8');
    expect(makefile).toMatch(
      /^image:.*\n\tdocker build -t "\$\$\(npx tsx k8s\/main\.ts --print-image\)" \.$/m,
    );
    const printed = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'k8s/main.ts', '--print-image'],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '' },
        encoding: 'utf8',
      },
    ).trim();
    expect(printed).toBe(`metasheet-cache:${pkg.version}`);
    // The image is in app.yaml only (the FEATURE_CACHE=true patch does not touch it).
    for (const path of Object.values(LAYOUT)) {
      const images = JSON.stringify(parseManifests(readRepoFile(path))).match(/"image":"[^"]+"/g);
      expect(images, path).toEqual(path === LAYOUT.app ? [`"image":"${printed}"`] : null);
    }
  }, 120_000);

  it('ships every file service/main.ts imports, and its packages are production dependencies', () => {
    const shipped = new Set(imageFiles());
    expect(shipped.has('service/main.ts')).toBe(true);
    expect(
      [...shipped].filter(
        (f) => f.endsWith('.test.ts') || !/^(service\/|package|tsconfig)/.test(f),
      ),
    ).toEqual([]);
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(join(ROOT, file), 'utf8');
      // Type-only imports are erased by tsx; they need not exist at run time.
      for (const m of text.matchAll(/^import (?!type )[^;]*?from '([^']+)'/gms)) {
        const spec = m[1] ?? '';
        if (spec.startsWith('.')) visit(relative(ROOT, resolve(ROOT, dirname(file), spec)));
        else if (!spec.startsWith('node:') && !builtinModules.includes(spec)) {
          packages.add(
            spec.startsWith('@')
              ? spec.split('/').slice(0, 2).join('/')
              : (spec.split('/')[0] ?? spec),
          );
        }
      }
    };
    visit('service/main.ts');
    expect([...seen].filter((f) => !shipped.has(f))).toEqual([]);
    expect([...packages].filter((p) => !(p in pkg.dependencies))).toEqual([]);
  });

  it('holds only what runs: no copied file imports vitest or test/, each is reached from service/main.ts (static check of the files, no Docker engine here)', () => {
    const copied = copiedFiles();
    expect(copied).toContain('service/main.ts');
    expect(copied.filter((f) => f.endsWith('.test.ts'))).toEqual([]);
    expect(imageProblems(copied)).toEqual({ testImports: [], unreached: [] });
  });

  it('the static check fails on test code or unused files in the image (it can fail)', () => {
    const copied = copiedFiles();
    const withHelper = [...copied, 'service/cache/contract.ts'];
    const problems = imageProblems(withHelper, {
      'service/cache/contract.ts': readFileSync(
        join(ROOT, 'test/helpers/cache-contract.ts'),
        'utf8',
      ),
      'service/main.ts': `${readFileSync(join(ROOT, 'service/main.ts'), 'utf8')}\nimport '../test/helpers/redis.ts';\n`,
    });
    expect(problems.testImports.sort()).toEqual([
      'service/cache/contract.ts imports vitest',
      'service/main.ts imports test/helpers/redis.ts',
    ]);
    expect(problems.unreached).toEqual(['service/cache/contract.ts']);
    expect(imageProblems([...copied, 'service/estimator/synthetic-traces.ts']).unreached).toEqual([
      'service/estimator/synthetic-traces.ts',
    ]);
    expect(
      specifiers(
        "import type { A } from './a.ts';\nexport { b } from '../b.ts';\nawait import('c');",
      ),
    ).toEqual(['./a.ts', '../b.ts', 'c']);
  });
});

/** Waits for the service's "listening on" log line (30 s at most) and returns its port. */
async function listeningPort(proc: ChildProcess, output: () => string): Promise<number> {
  for (let waited = 0; waited < 30_000; waited += 100) {
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output())?.[1];
    if (port !== undefined) return Number(port);
    if (proc.exitCode !== null) throw new Error(`service exited ${proc.exitCode}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no listening line in 30 s:\n${output()}`);
}

describe('the image file set, staged as the Dockerfile does (no Docker engine here)', () => {
  const stage = mkdtempSync(join(tmpdir(), 'image-stage-'));
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
    rmSync(stage, { recursive: true, force: true });
  });

  it(`installs production deps only and serves /health as uid ${POD_USER_ID}`, async () => {
    for (const file of imageFiles())
      cpSync(join(ROOT, file), join(stage, file), { recursive: true });
    // The packages normally come from the npm cache that `make setup` (npm ci) filled.
    execFileSync('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: stage,
      stdio: 'pipe',
    });
    expect(existsSync(join(stage, 'node_modules/tsx'))).toBe(true);
    expect(existsSync(join(stage, 'node_modules/vitest'))).toBe(false);
    execFileSync('chmod', ['-R', 'a+rX', stage]);
    const asRoot = process.getuid?.() === 0;
    const argv = ['--import', 'tsx', 'service/main.ts'];
    const [cmd, args] = asRoot
      ? [
          'setpriv',
          [
            `--reuid=${POD_USER_ID}`,
            `--regid=${POD_USER_ID}`,
            '--clear-groups',
            process.execPath,
            ...argv,
          ],
        ]
      : [process.execPath, argv];
    const env = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PORT: '0',
      HOME: '/nonexistent',
    };
    const proc = spawn(cmd, args, { cwd: stage, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const port = await listeningPort(proc, () => out);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    if (asRoot) {
      const uid = execFileSync('ps', ['-o', 'uid=', '-p', String(proc.pid)], {
        encoding: 'utf8',
      }).trim();
      expect(uid).toBe(String(POD_USER_ID));
    }
    const exited = new Promise<number | null>((ok) => proc.on('exit', (code) => ok(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 240_000);
});
