import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StagingManifests } from './chart.ts';
import { StagingConfigError } from './config.ts';
import { SECRET_ENV_KEYS } from './service-env.ts';
import { synthFromEnv } from './staging.ts';
import { formatProblems, validateManifests } from './validate/index.ts';
import { objectRef } from './validate/problem.ts';

/** Field manager recorded by server-side apply, so ownership conflicts name this tool. */
export const FIELD_MANAGER = 'metasheet-deploy-staging';
const ROLLOUT_TIMEOUT = '180s';

/** What `deployStaging` reads and writes; injected so tests can run it in-process or as a CLI. */
export interface DeployIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly argv: readonly string[];
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

class DeployError extends Error {}

/**
 * `make deploy-staging`: synthesise (FEATURE_CACHE etc. from the environment), validate
 * offline, `kubectl diff`, then `kubectl apply --server-side` to the configured staging
 * context only, and wait for the rollout. DRY_RUN=1 prints the plan and the YAML and needs
 * no kubectl. Returns the exit code; every failure prints why and what to do.
 */
export function deployStaging(io: DeployIo): number {
  let workDir: string | undefined;
  try {
    const manifests = synthFromEnv(io.env);
    const problems = validateManifests(manifests.objects);
    if (problems.length > 0) {
      throw new DeployError(`manifests failed validation:\n${formatProblems(problems)}`);
    }
    const dryRun = io.env.DRY_RUN === '1' || io.argv.includes('--dry-run');
    let file = '<the manifests below>';
    if (!dryRun) {
      workDir = mkdtempSync(join(tmpdir(), 'deploy-staging-'));
      file = join(workDir, 'staging.yaml');
      writeFileSync(file, manifests.yaml);
    }
    const { kubeContext, namespace, appName } = manifests.config;
    const kubectl = (args: readonly string[]) =>
      runKubectl(io.env, ['--context', kubeContext, ...args]);
    const steps = [
      ['diff', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', file],
      ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', file],
      [
        '-n',
        namespace,
        'rollout',
        'status',
        `deployment/${appName}`,
        `--timeout=${ROLLOUT_TIMEOUT}`,
      ],
    ];
    io.out(
      plan(
        manifests,
        steps.map((s) => `kubectl --context ${kubeContext} ${s.join(' ')}`),
      ),
    );

    if (dryRun) {
      io.out(`--- DRY_RUN=1: nothing applied; the manifests follow ---\n${manifests.yaml}`);
      return 0;
    }
    checkContext(io, kubeContext);
    const ready = kubectl(['get', '--raw', '/readyz', '--request-timeout=10s']);
    if (ready.status !== 0) {
      throw new DeployError(
        `cluster of context ${kubeContext} is unreachable: ${ready.stderr.trim()}`,
      );
    }
    const secret = kubectl([
      '-n',
      namespace,
      'get',
      'secret',
      manifests.config.secretName,
      '-o',
      'name',
    ]);
    if (secret.status !== 0) {
      throw new DeployError(
        `Secret ${namespace}/${manifests.config.secretName} is missing (${secret.stderr.trim()}); ` +
          `create it with keys ${SECRET_ENV_KEYS.join(', ')} before deploying`,
      );
    }
    const [diffStep, applyStep, rolloutStep] = steps;
    // kubectl diff exits 0 when nothing differs, 1 when something does, >1 on error.
    const diff = kubectl(diffStep ?? []);
    if (diff.status !== 0 && diff.status !== 1)
      throw new DeployError(`kubectl diff failed: ${diff.stderr.trim()}`);
    io.out(diff.status === 0 ? 'kubectl diff: no changes\n' : diff.stdout);
    for (const [name, step] of [
      ['apply', applyStep],
      ['rollout status', rolloutStep],
    ] as const) {
      const result = kubectl(step ?? []);
      io.out(result.stdout);
      if (result.status !== 0) {
        throw new DeployError(
          `kubectl ${name} failed: ${result.stderr.trim()}\n` +
            'roll back: `FEATURE_CACHE=false make deploy-staging` (or `kubectl rollout undo`)',
        );
      }
    }
    io.out(
      `deployed to ${kubeContext}/${namespace} (FEATURE_CACHE=${manifests.config.featureCache})\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof DeployError || error instanceof StagingConfigError)) throw error;
    io.err(`deploy-staging: ${error.message}\n`);
    return 1;
  } finally {
    if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
  }
}

/** Refuses any context but the configured one: the given one (--context / KUBE_CONTEXT), else the current. */
function checkContext(io: DeployIo, staging: string): void {
  const given =
    io.argv.find((a) => a.startsWith('--context='))?.slice('--context='.length) ??
    io.env.KUBE_CONTEXT;
  if (given !== undefined && given !== '') {
    if (given !== staging)
      throw new DeployError(`refusing context "${given}": only "${staging}" is staging`);
    return;
  }
  const current = runKubectl(io.env, ['config', 'current-context']);
  const name = current.stdout.trim();
  const hint = `(kubectl config use-context ${staging}, or KUBE_CONTEXT=${staging})`;
  if (current.status !== 0 || name === '') {
    throw new DeployError(`no current kubectl context (${current.stderr.trim()}) ${hint}`);
  }
  if (name !== staging) {
    throw new DeployError(
      `refusing current context "${name}": only "${staging}" is staging ${hint}`,
    );
  }
}

function runKubectl(env: DeployIo['env'], args: readonly string[]) {
  const result = spawnSync('kubectl', args, {
    env: { ...env },
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.error !== undefined) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DeployError(
      missing
        ? 'kubectl not found on PATH: install kubectl (1.27+), or run with DRY_RUN=1 to see the plan'
        : `kubectl ${args.join(' ')}: ${result.error.message}`,
    );
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function plan(manifests: StagingManifests, steps: readonly string[]): string {
  const { config } = manifests;
  return [
    'deploy-staging plan',
    `  context:   ${config.kubeContext} (the only context this script applies to)`,
    `  namespace: ${config.namespace}`,
    `  image:     ${config.image.repository}:${config.image.tag}`,
    `  toggle:    FEATURE_CACHE=${config.featureCache} CACHE_IMPL=${config.cacheImpl} replicas=${config.replicas}`,
    `  objects:   ${manifests.objects.map(objectRef).join(', ')}`,
    '  steps:     check context, cluster and Secret, then',
    ...steps.map((s) => `             ${s}`),
    '  rollback:  FEATURE_CACHE=false make deploy-staging',
    '',
  ].join('\n');
}
