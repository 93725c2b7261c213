/**
 * Synthesis entry point (`make synth`): writes the committed staging YAML.
 *
 *   npx tsx k8s/main.ts                        both variants (FEATURE_CACHE=false and =true)
 *   npx tsx k8s/main.ts --feature-cache=true   only that variant
 *   npx tsx k8s/main.ts --stdout [...]         print instead of writing
 *   npx tsx k8s/main.ts --print-image          the image reference (used by `make image`)
 *
 * IMAGE_REPOSITORY, IMAGE_TAG, K8S_NAMESPACE and REPLICAS override the defaults; invalid
 * values or manifests that fail validation exit 1 without writing anything.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseStagingConfig, StagingConfigError } from './config.ts';
import { stagingInputFromEnv } from './config-env.ts';
import { GENERATED_DIR, generatedFile, generatedHeader, synthFromEnv } from './staging.ts';
import { formatProblems, validateManifests } from './validate/index.ts';

function main(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  const flag =
    argv.find((a) => a.startsWith('--feature-cache='))?.split('=')[1] ?? env.FEATURE_CACHE;
  if (flag !== undefined && flag !== '' && flag !== 'true' && flag !== 'false') {
    console.error(`FEATURE_CACHE must be true or false, got ${JSON.stringify(flag)}`);
    return 1;
  }
  if (argv.includes('--print-image')) {
    const { image } = parseStagingConfig(stagingInputFromEnv(env));
    console.log(`${image.repository}:${image.tag}`);
    return 0;
  }
  const variants = flag === 'true' ? [true] : flag === 'false' ? [false] : [false, true];
  const outputs = variants.map((featureCache) => {
    const manifests = synthFromEnv(env, { featureCache });
    return { featureCache, manifests };
  });
  for (const { featureCache, manifests } of outputs) {
    const problems = validateManifests(manifests.objects);
    if (problems.length > 0) {
      console.error(
        `FEATURE_CACHE=${featureCache}: ${problems.length} problem(s):\n${formatProblems(problems)}`,
      );
      return 1;
    }
  }
  for (const { featureCache, manifests } of outputs) {
    const text = generatedHeader(featureCache) + manifests.yaml;
    if (argv.includes('--stdout')) {
      process.stdout.write(text);
      continue;
    }
    mkdirSync(GENERATED_DIR, { recursive: true });
    writeFileSync(generatedFile(featureCache), text);
    console.log(`wrote ${generatedFile(featureCache)} (${manifests.objects.length} objects)`);
  }
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2), process.env);
} catch (error) {
  if (!(error instanceof StagingConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
