import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StagingManifests } from './chart.ts';
import { imageReference, StagingConfigError } from './config.ts';
import { DeployError, type Kubectl, kubectlFor } from './kubectl.ts';
import { secretEnvKeys } from './service-env.ts';
import { synthFromEnv } from './staging.ts';
import { formatProblems, validateManifests } from './validate/index.ts';
import { objectRef } from './validate/problem.ts';

/** Field manager recorded by server-side apply, so ownership conflicts name this tool. */
export const FIELD_MANAGER = 'metasheet-deploy-staging';
const ROLLOUT_TIMEOUT = '180s';
const ROLLBACK = 'FEATURE_CACHE=false make deploy-staging';

/** What `deployStaging` reads and writes; injected so tests can run it in-process or as a CLI. */
export interface DeployIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly argv: readonly string[];
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/**
 * `make deploy-staging`: synthesise (FEATURE_CACHE etc. from the environment), validate
 * offline, `kubectl diff`, then `kubectl apply --server-side` to the configured staging
 * context only, and wait for the rollout. DRY_RUN=1 writes the YAML to a file it names, prints
 * the plan last, and needs no kubectl. Returns the exit code; every failure prints why and what to do.
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
    // A dry run keeps its file (the reviewer reads it); a real run removes it afterwards.
    const dir = mkdtempSync(join(tmpdir(), dryRun ? 'deploy-staging-dry-run-' : 'deploy-staging-'));
    if (!dryRun) workDir = dir;
    const file = join(dir, `staging.feature-cache-${manifests.config.featureCache}.yaml`);
    writeFileSync(file, manifests.yaml);
    const { kubeContext, namespace, appName } = manifests.config;
    const steps = {
      diff: ['diff', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', file],
      apply: ['apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', file],
      rollout: [
        '-n',
        namespace,
        'rollout',
        'status',
        `deployment/${appName}`,
        `--timeout=${ROLLOUT_TIMEOUT}`,
      ],
    };
    const planText = plan(
      manifests,
      Object.values(steps).map((s) => `kubectl --context ${kubeContext} ${s.join(' ')}`),
    );
    if (dryRun) {
      // The plan comes last, so it is what stays on screen; the YAML is in the file it names.
      const lines = manifests.yaml.split('\n').length;
      io.out(
        `DRY_RUN=1: nothing applied. The ${manifests.objects.length} objects (${lines} lines of YAML) are in\n  ${file}\n\n${planText}`,
      );
      return 0;
    }
    io.out(planText);

    const kubectl = kubectlFor(io.env);
    checkContext(io, kubectl, kubeContext);
    const inStaging = (args: readonly string[]) => kubectl(['--context', kubeContext, ...args]);
    preflight(inStaging, manifests);
    // kubectl diff exits 0 when nothing differs, 1 when something does, >1 on error.
    const diff = inStaging(steps.diff);
    if (diff.status !== 0 && diff.status !== 1) {
      throw new DeployError(`kubectl diff failed: ${diff.stderr.trim()}`);
    }
    io.out(diff.status === 0 ? 'kubectl diff: no changes\n' : diff.stdout);
    for (const [name, args] of [
      ['apply', steps.apply],
      ['rollout status', steps.rollout],
    ] as const) {
      const result = inStaging(args);
      io.out(result.stdout);
      if (result.status !== 0) {
        throw new DeployError(
          `kubectl ${name} failed: ${result.stderr.trim()}\nroll back: \`${ROLLBACK}\` (or \`kubectl rollout undo\`)`,
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
function checkContext(io: DeployIo, kubectl: Kubectl, staging: string): void {
  const flag = io.argv.find((a) => a.startsWith('--context='));
  const given = flag?.slice('--context='.length) ?? io.env.KUBE_CONTEXT;
  if (given !== undefined && given !== '') {
    if (given !== staging)
      throw new DeployError(`refusing context "${given}": only "${staging}" is staging`);
    return;
  }
  const current = kubectl(['config', 'current-context']);
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

/** The cluster answers, and the Secret the pods read exists (it is never in the YAML). */
function preflight(inStaging: Kubectl, manifests: StagingManifests): void {
  const { kubeContext, namespace, secretName } = manifests.config;
  const ready = inStaging(['get', '--raw', '/readyz', '--request-timeout=10s']);
  if (ready.status !== 0) {
    throw new DeployError(
      `cluster of context ${kubeContext} is unreachable: ${ready.stderr.trim()}`,
    );
  }
  const secret = inStaging(['-n', namespace, 'get', 'secret', secretName, '-o', 'name']);
  if (secret.status !== 0) {
    throw new DeployError(
      `Secret ${namespace}/${secretName} is missing (${secret.stderr.trim()}); ` +
        `create it with keys ${secretKeysHint(manifests.config)} before deploying`,
    );
  }
}

/** `REDIS_URL (+ optional REDIS_PASSWORD)`: the keys the config's pods read, optional ones marked. */
function secretKeysHint(config: StagingManifests['config']): string {
  const keys = secretEnvKeys(config);
  const required = keys.filter((k) => k !== 'REDIS_PASSWORD');
  const optional = keys.filter((k) => k === 'REDIS_PASSWORD');
  const req = required.length > 0 ? required.join(', ') : '(none required)';
  return optional.length > 0 ? `${req} (+ optional ${optional.join(', ')})` : req;
}

function plan(manifests: StagingManifests, commands: readonly string[]): string {
  const { config } = manifests;
  return [
    'deploy-staging plan',
    `  context:   ${config.kubeContext} (the only context this script applies to)`,
    `  namespace: ${config.namespace}`,
    `  image:     ${imageReference(config.image)}`,
    `  toggle:    FEATURE_CACHE=${config.featureCache} CACHE_IMPL=${config.cacheImpl} replicas=${config.replicas}`,
    `  objects:   ${manifests.objects.map(objectRef).join(', ')}`,
    '  steps:     check context, cluster and Secret, then',
    ...commands.map((c) => `             ${c}`),
    `  rollback:  ${ROLLBACK}`,
    '',
  ].join('\n');
}
