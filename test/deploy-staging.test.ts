import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseManifests } from '../k8s/chart.ts';
import { deployStaging } from '../k8s/deploy.ts';
import { assembleObjects } from '../k8s/layout.ts';
import { readCommittedLayout, readRepoFile } from '../k8s/staging.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE_DIR = dirname(process.execPath);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * A stand-in kubectl (no Kubernetes API server can run here): records each call's arguments
 * in STANDIN_LOG, copies the `-f` file to STANDIN_APPLIED.<verb>, and answers like a staging cluster
 * unless told otherwise by STANDIN_* variables.
 */
const STANDIN_KUBECTL = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$STANDIN_LOG"
for ((i = 1; i <= $#; i++)); do
  if [ "\${!i}" = -f ]; then j=$((i + 1)); cp "\${!j}" "$STANDIN_APPLIED.$3"; fi
done
case " $* " in
  *" config current-context "*)
    if [ -n "$STANDIN_CONTEXT" ]; then echo "$STANDIN_CONTEXT"; exit 0; fi
    echo "error: current-context is not set" >&2; exit 1 ;;
  *" get --raw /readyz "*)
    if [ "$STANDIN_UNREACHABLE" = 1 ]; then
      echo "Unable to connect to the server: dial tcp: lookup staging.invalid: no such host" >&2; exit 1
    fi
    echo ok ;;
  *" get secret "*)
    if [ "$STANDIN_NO_SECRET" = 1 ]; then
      echo 'Error from server (NotFound): secrets "metasheet-cache-secrets" not found' >&2; exit 1
    fi
    echo secret/metasheet-cache-secrets ;;
  *" diff "*) echo "stand-in diff: FEATURE_CACHE changed"; exit 1 ;;
  *" apply "*)
    if [ "$STANDIN_APPLY_FAIL" = 1 ]; then echo "error: Apply failed with 1 conflict" >&2; exit 1; fi
    echo "deployment.apps/metasheet-cache serverside-applied" ;;
  *" rollout status "*) echo 'deployment "metasheet-cache" successfully rolled out' ;;
  *) echo "stand-in kubectl: unexpected arguments: $*" >&2; exit 2 ;;
esac
`;

function standIn(extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'standin-kubectl-'));
  dirs.push(dir);
  const bin = join(dir, 'bin');
  spawnSync('mkdir', [bin]);
  writeFileSync(join(bin, 'kubectl'), STANDIN_KUBECTL);
  chmodSync(join(bin, 'kubectl'), 0o755);
  const env = {
    PATH: `${bin}:${NODE_DIR}`,
    HOME: dir,
    STANDIN_LOG: join(dir, 'calls.log'),
    STANDIN_APPLIED: join(dir, 'applied'),
    STANDIN_CONTEXT: 'metasheet-staging',
    ...extra,
  };
  const calls = () =>
    existsSync(env.STANDIN_LOG) ? readFileSync(env.STANDIN_LOG, 'utf8').trim().split('\n') : [];
  /** The manifests file kubectl got for `diff` or `apply`. */
  const fileFor = (verb: 'diff' | 'apply') =>
    readFileSync(`${env.STANDIN_APPLIED}.${verb}`, 'utf8');
  return { env, calls, fileFor };
}

/** Runs deployStaging in-process (its kubectl calls are real processes: the stand-in). */
function deploy(env: Record<string, string>, argv: string[] = []) {
  let out = '';
  let err = '';
  const code = deployStaging({ env, argv, out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** The objects the committed files assemble into for a toggle value: what the script must apply. */
function committed(featureCache: boolean): Array<Record<string, unknown>> {
  return assembleObjects(readCommittedLayout(), featureCache, readRepoFile);
}

/** Runs the real CLI entry (`scripts/deploy-staging.ts`) as `make deploy-staging` does. */
function cli(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/deploy-staging.ts'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('deploy-staging CLI', () => {
  it('DRY_RUN=1 writes the manifests to a file it names and prints the plan last, with no kubectl on PATH', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-kubectl-'));
    dirs.push(empty);
    const run = cli({ PATH: empty, HOME: empty, DRY_RUN: '1' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const file = /\n {2}(\/\S+\/staging\.feature-cache-false\.yaml)\n/.exec(run.stdout)?.[1];
    if (!file) throw new Error(`no manifests file named in:\n${run.stdout}`);
    dirs.push(dirname(file));
    expect(parseManifests(readFileSync(file, 'utf8'))).toEqual(committed(false));
    // No YAML on the terminal, and the plan is what stays on screen.
    expect(run.stdout).not.toContain('apiVersion:');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(
      '  rollback:  FEATURE_CACHE=false make deploy-staging',
    );
    expect(run.stdout.split('\n').length).toBeLessThan(30);
    expect(run.stdout).toContain('context:   metasheet-staging');
    expect(run.stdout).toContain('image:     metasheet-cache:0.1.0');
    expect(run.stdout).toContain('toggle:    FEATURE_CACHE=false');
    expect(run.stdout).toMatch(/kubectl --context metasheet-staging apply --server-side/);
  }, 180_000);

  it('with a stand-in kubectl: checks, diffs, applies server-side to staging, waits for rollout', () => {
    const kube = standIn();
    const run = cli({ ...kube.env, FEATURE_CACHE: 'true' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const calls = kube.calls().map((c) => c.replace(/\/tmp\/\S+\.yaml/, 'FILE'));
    expect(calls).toEqual([
      'config current-context',
      '--context metasheet-staging get --raw /readyz --request-timeout=10s',
      '--context metasheet-staging -n metasheet-staging get secret metasheet-cache-secrets -o name',
      '--context metasheet-staging diff --server-side --field-manager=metasheet-deploy-staging -f FILE',
      '--context metasheet-staging apply --server-side --field-manager=metasheet-deploy-staging -f FILE',
      '--context metasheet-staging -n metasheet-staging rollout status deployment/metasheet-cache --timeout=180s',
    ]);
    expect(run.stdout).toContain('stand-in diff: FEATURE_CACHE changed');
    expect(run.stdout).toContain(
      'deployed to metasheet-staging/metasheet-staging (FEATURE_CACHE=true)',
    );
    // The stand-in copied each -f file; diff and apply both saw the toggled manifests.
    expect(parseManifests(kube.fileFor('diff'))).toEqual(committed(true));
    expect(parseManifests(kube.fileFor('apply'))).toEqual(committed(true));
  }, 180_000);
});

describe('deploy-staging refusals and failures (stand-in kubectl)', () => {
  it('refuses when the current context is not staging, before touching the cluster', () => {
    const kube = standIn({ STANDIN_CONTEXT: 'prod-eu' });
    const run = deploy(kube.env);
    expect(run.code).toBe(1);
    expect(run.err).toContain(
      'refusing current context "prod-eu": only "metasheet-staging" is staging',
    );
    expect(kube.calls()).toEqual(['config current-context']);
  });

  it('refuses a given context (KUBE_CONTEXT or --context) that is not staging', () => {
    const kube = standIn();
    expect(deploy({ ...kube.env, KUBE_CONTEXT: 'prod-eu' }).err).toContain(
      'refusing context "prod-eu"',
    );
    expect(deploy(kube.env, ['--context=kind-dev']).err).toContain('refusing context "kind-dev"');
    expect(kube.calls()).toEqual([]);
  });

  it('uses a given staging context even when another one is current', () => {
    const kube = standIn({ STANDIN_CONTEXT: 'prod-eu' });
    const run = deploy({ ...kube.env, KUBE_CONTEXT: 'metasheet-staging' });
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(kube.calls().every((c) => c.startsWith('--context metasheet-staging '))).toBe(true);
  });

  it('fails clearly when the cluster is unreachable, and applies nothing', () => {
    const kube = standIn({ STANDIN_UNREACHABLE: '1' });
    const run = deploy(kube.env);
    expect(run.code).toBe(1);
    expect(run.err).toContain(
      'cluster of context metasheet-staging is unreachable: Unable to connect',
    );
    expect(kube.calls().some((c) => c.includes(' apply '))).toBe(false);
  });

  it('fails clearly when the Secret is missing', () => {
    const kube = standIn({ STANDIN_NO_SECRET: '1' });
    const run = deploy(kube.env);
    expect(run.code).toBe(1);
    expect(run.err).toContain(
      'Secret metasheet-staging/metasheet-cache-secrets is missing (Error from server (NotFound)',
    );
    expect(run.err).toContain(
      'create it with keys REDIS_URL (+ optional REDIS_PASSWORD) before deploying',
    );
  });

  it('reports a failed apply with the rollback command', () => {
    const kube = standIn({ STANDIN_APPLY_FAIL: '1' });
    const run = deploy(kube.env);
    expect(run.code).toBe(1);
    expect(run.err).toContain('kubectl apply failed: error: Apply failed with 1 conflict');
    expect(run.err).toContain('FEATURE_CACHE=false make deploy-staging');
    expect(kube.calls().some((c) => c.includes('rollout status'))).toBe(false);
  });

  it('fails clearly when kubectl is not on PATH', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-kubectl-'));
    dirs.push(empty);
    const run = deploy({ PATH: empty, HOME: empty });
    expect(run.code).toBe(1);
    expect(run.err).toContain('kubectl not found on PATH');
    expect(run.err).toContain('DRY_RUN=1');
  });

  it('rejects an invalid config before calling kubectl', () => {
    const kube = standIn();
    const run = deploy({ ...kube.env, REPLICAS: '1', IMAGE_TAG: 'latest' });
    expect(run.code).toBe(1);
    expect(run.err).toContain('replicas = 1');
    expect(run.err).toContain('image.tag = "latest"');
    expect(kube.calls()).toEqual([]);
  });
});
