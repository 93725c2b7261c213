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
 */
export const SECRET_ENV_KEYS = [
  'DATABASE_URL',
  'JWT_SECRET',
  'REDIS_URL',
  'REDIS_PASSWORD',
] as const;

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

/**
 * The service's non-secret environment (variables of `service/config.ts`), as ConfigMap data.
 * Every value is a string because ConfigMap data is `map[string]string`.
 */
export function serviceConfigData(config: StagingConfig): Record<string, string> {
  return {
    NODE_ENV: 'production',
    PORT: String(SERVICE_PORT),
    LOG_LEVEL: config.logLevel,
    FEATURE_CACHE: String(config.featureCache),
    CACHE_IMPL: config.cacheImpl,
    CACHE_KEY_PATTERN_LIMIT: String(config.keyPatternLimit),
    CACHE_PATTERNS: config.cachePatterns.join(','),
    CACHE_AB_CONTROL_PERCENT: String(config.abControlPercent),
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    ...redisTopologyData(config),
  };
}

/** sha256 of ConfigMap data with sorted keys: stable across runs, changes with any value. */
export function configChecksum(data: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(data)
    .sort()
    .map((key) => [key, data[key]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}
