import { createHash } from 'node:crypto';
import type { StagingConfig } from './config.ts';

/** The port the service listens on (its PORT default); probes, Service and policy use it. */
export const SERVICE_PORT = 8900;
/** Name of the container port; the Service and ServiceMonitor refer to it by this name. */
export const SERVICE_PORT_NAME = 'http';
/** uid/gid the container runs as; the Dockerfile creates this user. */
export const POD_USER_ID = 10001;
/** Seconds between SIGTERM and SIGKILL: room for the service to drain in-flight requests. */
export const TERMINATION_GRACE_SECONDS = 30;
/** preStop sleep: lets endpoints and kube-proxy drop the pod before SIGTERM stops accepting. */
export const PRE_STOP_SLEEP_SECONDS = 5;
/** The service's own drain deadline (SHUTDOWN_TIMEOUT_MS): what is left of the grace period, less 5 s margin. */
export const SHUTDOWN_TIMEOUT_MS = (TERMINATION_GRACE_SECONDS - PRE_STOP_SLEEP_SECONDS - 5) * 1000;
/** Pod-template annotation holding the ConfigMap checksum, so a config change rolls the pods. */
export const CONFIG_CHECKSUM_ANNOTATION = 'metasheet.io/config-checksum';

/**
 * Secret keys the service reads, each exposed as the env variable of the same name. The
 * Secret itself (`StagingConfig.secretName`) is created out of band; the YAML only refers to it.
 * Only what `service/config.ts` reads: a required key nothing reads would keep pods from
 * starting when the Secret lacks it (a test holds this list to the service's variables).
 */
export const SECRET_ENV_KEYS = ['REDIS_URL', 'REDIS_PASSWORD'] as const;

/**
 * The Secret keys a config's pods read: REDIS_URL only in standalone mode (the service
 * refuses REDIS_URL together with REDIS_CLUSTER_NODES or REDIS_SENTINELS).
 */
export function secretEnvKeys(config: StagingConfig): readonly (typeof SECRET_ENV_KEYS)[number][] {
  return SECRET_ENV_KEYS.filter((k) => k !== 'REDIS_URL' || config.redis.mode === 'standalone');
}

/** The Redis topology variables of the ConfigMap (none in standalone mode). */
function redisTopologyData(config: StagingConfig): Record<string, string> {
  const r = config.redis;
  if (r.mode === 'cluster') return { REDIS_CLUSTER_NODES: r.clusterNodes.join(',') };
  if (r.mode === 'sentinel') {
    return { REDIS_SENTINELS: r.sentinels.join(','), REDIS_SENTINEL_NAME: r.sentinelName };
  }
  return {};
}

/** Where the runtime ConfigMap is mounted (a directory mount: subPath mounts never update). */
export const RUNTIME_CONFIG_DIR = '/etc/metasheet-cache';
/** Key of the runtime ConfigMap, i.e. the file name under `RUNTIME_CONFIG_DIR`. */
export const RUNTIME_CONFIG_KEY = 'cache.env';

/**
 * The service's non-secret environment that needs a restart (variables of
 * `service/config.ts`), as ConfigMap data; the pod-template checksum covers only this.
 * Every value is a string because ConfigMap data is `map[string]string`.
 */
export function serviceConfigData(config: StagingConfig): Record<string, string> {
  return {
    NODE_ENV: 'production',
    PORT: String(SERVICE_PORT),
    LOG_LEVEL: config.logLevel,
    CACHE_KEY_PATTERN_LIMIT: String(config.keyPatternLimit),
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    CACHE_CONFIG_FILE: `${RUNTIME_CONFIG_DIR}/${RUNTIME_CONFIG_KEY}`,
    // The Phase 2 estimator models the one Redis these replicas will share.
    ESTIMATOR_REPLICAS: String(config.replicas),
    // Restart-only: the topology is chosen at start (not a RUNTIME_VARIABLE).
    ...redisTopologyData(config),
  };
}

/**
 * The settings the service reloads at run time (`RUNTIME_VARIABLES` of service/config.ts),
 * as the KEY=VALUE text of `CACHE_CONFIG_FILE`. Changing them rewrites the mounted file
 * (kubelet sync) and the pods apply it without a rollout.
 */
export function runtimeConfigFile(config: StagingConfig): string {
  const vars: Record<string, string> = {
    FEATURE_CACHE: String(config.featureCache),
    CACHE_IMPL: config.cacheImpl,
    CACHE_PATTERNS: config.cachePatterns.join(','),
    CACHE_AB_CONTROL_PERCENT: String(config.abControlPercent),
  };
  const lines = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
  return `# Reloaded by the service on change (no restart); see README "Hot reload".\n${lines.join('\n')}\n`;
}

/** sha256 of ConfigMap data with sorted keys: stable across runs, changes with any value. */
export function configChecksum(data: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(data)
    .sort()
    .map((key) => [key, data[key]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

/**
 * Pod resources. Memory figures are measured (README, "Pod memory"): the service's RSS under
 * `make load`-style load with the heap capped as below. ephemeral-storage covers the `/tmp`
 * emptyDir (tsx's transpile cache) plus container logs.
 */
export const POD_RESOURCES = {
  cpuRequestMillis: 100,
  cpuLimitMillis: 500,
  memoryRequestMiB: 160,
  ephemeralStorageRequestMiB: 64,
  ephemeralStorageLimitMiB: 128,
} as const;

/**
 * V8 old-space cap for a container memory limit: the limit less what is not old space
 * (new space, code, tsx, buffers, native allocations; measured ≈ 64 MiB of RSS on top of
 * the old space), at least 64 MiB. Without a cap V8 sizes its heap from the host's
 * memory, not the cgroup's, and lets RSS grow up to the limit before collecting hard.
 */
export const NON_HEAP_RESERVE_MIB = 96;
export function heapSizeMiB(memoryLimitMiB: number): number {
  return Math.max(64, memoryLimitMiB - NON_HEAP_RESERVE_MIB);
}
