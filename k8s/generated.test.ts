import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedFile, generatedHeader, REGENERATE_COMMAND, synthFromEnv } from './staging.ts';

describe('committed staging YAML', () => {
  it.each([false, true])(
    'FEATURE_CACHE=%s is up to date with k8s/*.ts, alerts/ and dashboards/',
    (featureCache) => {
      const file = generatedFile(featureCache);
      const fix = `run \`${REGENERATE_COMMAND}\` and commit ${file}`;
      expect(existsSync(file), `${file} is missing: ${fix}`).toBe(true);
      // Defaults only: the committed files must not depend on the caller's environment.
      const expected = generatedHeader(featureCache) + synthFromEnv({}, { featureCache }).yaml;
      const actual = readFileSync(file, 'utf8');
      expect(actual === expected, `${file} is stale: ${fix}`).toBe(true);
    },
  );
});
