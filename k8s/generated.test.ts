import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleObjects, LAYOUT } from './layout.ts';
import {
  GENERATED_DIR,
  REGENERATE_COMMAND,
  readCommittedLayout,
  readRepoFile,
  synthLayout,
} from './staging.ts';

// Defaults only: the committed files must not depend on the caller's environment.
const { files, off, on } = synthLayout({});
const committed = readCommittedLayout();

describe('committed staging YAML (k8s/generated/)', () => {
  it.each([...files.keys()])('%s is up to date with k8s/*.ts, alerts/ and dashboards/', (path) => {
    const fix = `run \`${REGENERATE_COMMAND}\` and commit ${path}`;
    expect(committed.has(path), `${path} is missing: ${fix}`).toBe(true);
    expect(committed.get(path) === files.get(path), `${path} is stale: ${fix}`).toBe(true);
  });

  it('holds no other YAML (e.g. of an earlier layout)', () => {
    const names = readdirSync(GENERATED_DIR).filter((f) => f.endsWith('.yaml'));
    expect(names.sort()).toEqual(
      Object.values(LAYOUT)
        .map((p) => p.split('/').pop())
        .sort(),
    );
  });

  it.each([
    [false, off],
    [true, on],
  ])('assembles into exactly the objects applied for FEATURE_CACHE=%s', (featureCache, m) => {
    expect(assembleObjects(committed, featureCache, readRepoFile)).toEqual(m.objects);
  });
});
