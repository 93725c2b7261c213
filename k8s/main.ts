/**
 * Synthesis entry point (`make synth`): writes the committed staging YAML (`k8s/layout.ts`).
 *
 *   npx tsx k8s/main.ts                               write k8s/generated/ (both toggle values)
 *   npx tsx k8s/main.ts --stdout [--feature-cache=X]  print every object applied for FEATURE_CACHE=X
 *                                                     (default false), dashboards' data included
 *   npx tsx k8s/main.ts --print-image                 the image reference (used by `make image`)
 *
 * IMAGE_REGISTRY, IMAGE_REPOSITORY, IMAGE_TAG, K8S_NAMESPACE and REPLICAS override the
 * defaults; invalid values or manifests that fail validation exit 1 without writing anything.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageReference, parseStagingConfig, StagingConfigError } from './config.ts';
import { stagingInputFromEnv } from './config-env.ts';
import { GENERATED_DIR, REPO_ROOT, synthLayout } from './staging.ts';
import { formatProblems, validateManifests } from './validate/index.ts';

function main(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  const flag =
    argv.find((a) => a.startsWith('--feature-cache='))?.split('=')[1] ?? env.FEATURE_CACHE;
  if (flag !== undefined && flag !== '' && flag !== 'true' && flag !== 'false') {
    console.error(`FEATURE_CACHE must be true or false, got ${JSON.stringify(flag)}`);
    return 1;
  }
  if (argv.includes('--print-image')) {
    console.log(imageReference(parseStagingConfig(stagingInputFromEnv(env)).image));
    return 0;
  }
  const { files, off, on } = synthLayout(env);
  for (const manifests of [off, on]) {
    const problems = validateManifests(manifests.objects);
    if (problems.length > 0) {
      console.error(
        `FEATURE_CACHE=${manifests.config.featureCache}: ${problems.length} problem(s):\n${formatProblems(problems)}`,
      );
      return 1;
    }
  }
  if (argv.includes('--stdout')) {
    process.stdout.write((flag === 'true' ? on : off).yaml);
    return 0;
  }
  mkdirSync(GENERATED_DIR, { recursive: true });
  for (const [path, text] of files) writeFileSync(join(REPO_ROOT, path), text);
  // Files of an earlier layout (or a removed concern) would mislead a reviewer.
  const keep = new Set([...files.keys()].map((p) => p.split('/').pop()));
  for (const f of readdirSync(GENERATED_DIR)) {
    if (f.endsWith('.yaml') && !keep.has(f)) rmSync(join(GENERATED_DIR, f));
  }
  console.log(`wrote ${[...files.keys()].join(', ')} (${off.objects.length} objects)`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof StagingConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
