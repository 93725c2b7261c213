import pkg from '../package.json' with { type: 'json' };
import type { StagingConfigInput } from './config.ts';

/**
 * The image tag used when IMAGE_TAG is not set: the package.json version, so the committed
 * YAML, `make image` and `make deploy-staging` agree without anyone copying a number around.
 */
export const DEFAULT_IMAGE_TAG: string = pkg.version;

/** Environment variables the synthesis reads (by `k8s/main.ts` and the deploy script). */
export const SYNTH_ENV_VARS = [
  'FEATURE_CACHE',
  'K8S_NAMESPACE',
  'KUBE_CONTEXT',
  'IMAGE_REGISTRY',
  'IMAGE_REPOSITORY',
  'IMAGE_TAG',
  'REPLICAS',
  'REDIS_CLUSTER_NODES',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
] as const;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Maps environment variables onto a synthesis config input; unset or empty variables keep the
 * defaults. Values are passed through unconverted when they do not parse, so that
 * `parseStagingConfig` reports them by name (e.g. `featureCache = "yes": Expected boolean`).
 */
export function stagingInputFromEnv(env: Env): StagingConfigInput {
  const input: Record<string, unknown> = {
    image: {
      registry: set(env.IMAGE_REGISTRY),
      repository: set(env.IMAGE_REPOSITORY),
      tag: set(env.IMAGE_TAG) ?? DEFAULT_IMAGE_TAG,
    },
  };
  const featureCache = set(env.FEATURE_CACHE);
  if (featureCache !== undefined) input.featureCache = toBoolean(featureCache);
  const namespace = set(env.K8S_NAMESPACE);
  if (namespace !== undefined) input.namespace = namespace;
  const replicas = set(env.REPLICAS);
  if (replicas !== undefined) input.replicas = /^\d+$/.test(replicas) ? Number(replicas) : replicas;
  const list = (v: string | undefined) =>
    set(v)
      ?.split(',')
      .map((x) => x.trim());
  const clusterNodes = list(env.REDIS_CLUSTER_NODES);
  const sentinels = list(env.REDIS_SENTINELS);
  // Both set: passed on as given, so the schema rejects the mix by field name.
  if (clusterNodes && sentinels) input.redis = { mode: 'cluster', clusterNodes, sentinels };
  else if (clusterNodes) input.redis = { mode: 'cluster', clusterNodes };
  else if (sentinels || set(env.REDIS_SENTINEL_NAME)) {
    input.redis = { mode: 'sentinel', sentinels, sentinelName: set(env.REDIS_SENTINEL_NAME) };
  }
  // kubeContext is deliberately not read from KUBE_CONTEXT: that variable names the context the
  // caller *wants*, which the deploy script compares with this configured one.
  return input as StagingConfigInput;
}

function set(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function toBoolean(value: string): boolean | string {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}
