import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseManifests } from './chart.ts';
import { assembleObjects } from './layout.ts';
import { readCommittedLayout, readRepoFile } from './staging.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs `k8s/main.ts` (what `make synth` runs) with only the given environment. */
function synth(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'k8s/main.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('k8s/main.ts (make synth)', () => {
  it('--stdout --feature-cache=true prints exactly the objects the committed files assemble into for =true', () => {
    const run = synth(['--stdout', '--feature-cache=true']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(parseManifests(run.stdout)).toEqual(
      assembleObjects(readCommittedLayout(), true, readRepoFile),
    );
  }, 120_000);

  it('refuses a toggle value that is not true or false', () => {
    const run = synth(['--stdout'], { FEATURE_CACHE: 'yes' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('FEATURE_CACHE must be true or false, got "yes"');
    expect(run.stdout).toBe('');
  }, 120_000);

  it('fails synthesis with the bad field and value named, writing nothing', () => {
    const run = synth(['--stdout'], { REPLICAS: '1', K8S_NAMESPACE: 'Bad_NS' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('invalid staging config:');
    expect(run.stderr).toContain('namespace = "Bad_NS": must be a DNS-1123 label');
    expect(run.stderr).toContain('replicas = 1: Number must be greater than or equal to 2');
    expect(run.stdout).toBe('');
  }, 120_000);
});
