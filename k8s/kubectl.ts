import { spawnSync } from 'node:child_process';

/** A deploy failure with a message that says what to do; the script prints it and exits 1. */
export class DeployError extends Error {
  override readonly name = 'DeployError';
}

/** Result of one kubectl call. */
export interface KubectlResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs kubectl with the given arguments. */
export type Kubectl = (args: readonly string[]) => KubectlResult;

/**
 * kubectl as found on `env.PATH` (the environment the script was given, not this process's).
 * @throws DeployError when kubectl is not installed, naming DRY_RUN=1 as the way to plan without it.
 */
export function kubectlFor(env: Readonly<Record<string, string | undefined>>): Kubectl {
  return (args) => {
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
  };
}
