import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type StagingManifests, synthStaging } from './chart.ts';
import type { StagingConfigInput } from './config.ts';
import { stagingInputFromEnv } from './config-env.ts';
import { LAYOUT, renderLayout } from './layout.ts';
import type { MonitoringSources } from './monitoring.ts';
import { loadMonitoringSources } from './sources.ts';

export { REGENERATE_COMMAND } from './layout.ts';

/** The repository root (paths in `LAYOUT` and the dashboard annotations are relative to it). */
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Directory of the committed YAML (reviewers read its diff in pull requests). */
export const GENERATED_DIR = fileURLToPath(new URL('./generated/', import.meta.url));

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Synthesises the staging manifests from environment variables (see `stagingInputFromEnv`)
 * with the repo's alert rules and dashboards. `overrides` win over the environment.
 * @throws StagingConfigError when a value is invalid.
 */
export function synthFromEnv(
  env: Env,
  overrides: Partial<StagingConfigInput> = {},
  sources: MonitoringSources = loadMonitoringSources(),
): StagingManifests {
  return synthStaging({ ...stagingInputFromEnv(env), ...overrides }, sources);
}

/**
 * The committed layout (repo-relative path → text, see `k8s/layout.ts`) for both values of
 * the FEATURE_CACHE toggle, plus the manifests it was rendered from.
 */
export function synthLayout(
  env: Env,
  sources: MonitoringSources = loadMonitoringSources(),
): { files: Map<string, string>; off: StagingManifests; on: StagingManifests } {
  const off = synthFromEnv(env, { featureCache: false }, sources);
  const on = synthFromEnv(env, { featureCache: true }, sources);
  return { files: renderLayout(off.objects, on.objects), off, on };
}

/** A file of the repository by its repo-relative path. */
export function readRepoFile(path: string): string {
  return readFileSync(`${REPO_ROOT}${path}`, 'utf8');
}

/** The committed layout files as they are on disk (missing ones are absent from the map). */
export function readCommittedLayout(): Map<string, string> {
  const files = new Map<string, string>();
  for (const path of Object.values(LAYOUT)) {
    try {
      files.set(path, readRepoFile(path));
    } catch {
      // reported by the drift test
    }
  }
  return files;
}
