import { z } from 'zod';
import {
  CACHE_IMPLS,
  CONFIG_DEFAULTS,
  HOST_PORT,
  INT_BOUNDS,
  LOG_LEVELS,
  PATTERN_SHAPE,
  SENTINEL_NAME_SHAPE,
} from '../service/config.ts';

/** RFC 1123 label: what Kubernetes accepts for namespace and object names. */
const dnsLabel = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    'must be a DNS-1123 label (lowercase, digits, "-")',
  );

/** An image tag we can trace back to a build: never `latest`, never empty. */
const imageTag = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be a valid image tag')
  .refine((t) => t !== 'latest', 'must not be "latest" (pin a version so rollbacks are exact)');

/** A redis:// seed URL without credentials (they belong in the Secret, not a ConfigMap). */
const seedUrl = z
  .string()
  .regex(
    /^rediss?:\/\/[A-Za-z0-9.-]+:\d{1,5}$/,
    'must be redis://host:port (no credentials: use REDIS_PASSWORD)',
  );
const hostPort = z.string().regex(HOST_PORT, 'must be host:port');

/** An integer setting of the service, with the service's bounds and default. */
const serviceInt = (name: keyof typeof INT_BOUNDS) =>
  z
    .number()
    .int()
    .min(INT_BOUNDS[name].min)
    .max(INT_BOUNDS[name].max)
    .default(CONFIG_DEFAULTS[name]);

const redisSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('standalone') }).strict(),
  z.object({ mode: z.literal('cluster'), clusterNodes: z.array(seedUrl).min(1) }).strict(),
  z
    .object({
      mode: z.literal('sentinel'),
      sentinels: z.array(hostPort).min(1),
      sentinelName: z.string().regex(SENTINEL_NAME_SHAPE, 'must be 1-64 of [A-Za-z0-9._-]'),
    })
    .strict(),
]);

const stagingConfigSchema = z
  .object({
    /** Namespace every object lands in. @default 'metasheet-staging' */
    namespace: dnsLabel.default('metasheet-staging'),
    /** Name of every object and value of the `app.kubernetes.io/name` label. @default 'metasheet-cache' */
    appName: dnsLabel.default('metasheet-cache'),
    /** kubectl context `make deploy-staging` insists on. @default 'metasheet-staging' */
    kubeContext: z.string().min(1).default('metasheet-staging'),
    image: z
      .object({
        /**
         * Registry host (and optional path) the image is pulled from, e.g.
         * `registry.example.com/team`; empty: the runtime's default (Docker Hub, or a
         * mirror it is configured with). @default ''
         */
        registry: z
          .string()
          .regex(
            /^$|^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/,
            'must be a registry host[:port][/path], e.g. registry.example.com/team',
          )
          .default(''),
        /** Image repository, the name `make image` builds. @default 'metasheet-cache' */
        repository: z
          .string()
          .regex(/^[a-z0-9]+([._/:-][a-z0-9]+)*$/, 'must be a lowercase image repository')
          .default('metasheet-cache'),
        /** Image tag; `make image` tags with the package.json version. */
        tag: imageTag,
      })
      .strict(),
    /** Pod replicas; 2+ so the PodDisruptionBudget never blocks a node drain. @default 2 */
    replicas: z.number().int().min(2).max(10).default(2),
    /** The service's metrics toggle (FEATURE_CACHE); off first, as the rollout starts. @default the service's (false) */
    featureCache: z.boolean().default(CONFIG_DEFAULTS.FEATURE_CACHE),
    /** CACHE_IMPL for the service. @default the service's ('null', observe only) */
    cacheImpl: z.enum(CACHE_IMPLS).default(CONFIG_DEFAULTS.CACHE_IMPL),
    /** CACHE_KEY_PATTERN_LIMIT: distinct key_pattern labels before folding. @default the service's (50) */
    keyPatternLimit: serviceInt('CACHE_KEY_PATTERN_LIMIT'),
    /** CACHE_PATTERNS: key patterns the real cache may store (Phase 3 whitelist). @default [] */
    cachePatterns: z
      .array(z.string().regex(PATTERN_SHAPE, 'must be a key pattern like sheet'))
      .default([]),
    /** CACHE_AB_CONTROL_PERCENT: share of requests in the uncached control group. @default the service's (0) */
    abControlPercent: serviceInt('CACHE_AB_CONTROL_PERCENT'),
    /**
     * Container memory limit; the V8 heap cap (NODE_OPTIONS=--max-old-space-size) is derived
     * from it (`heapSizeMiB`). @default 256
     */
    memoryLimitMiB: z.number().int().min(192).max(8192).default(256),
    /** LOG_LEVEL for the service. @default the service's ('info') */
    logLevel: z.enum(LOG_LEVELS).default(CONFIG_DEFAULTS.LOG_LEVEL),
    /**
     * Which Redis the service uses (CACHE_IMPL=redis). `standalone` reads REDIS_URL from the
     * Secret; `cluster` puts seed URLs in REDIS_CLUSTER_NODES, `sentinel` the sentinels'
     * host:port in REDIS_SENTINELS and the master name in REDIS_SENTINEL_NAME (ConfigMap:
     * addresses only, no credentials). The password always comes from the Secret's
     * REDIS_PASSWORD (optional key). @default { mode: 'standalone' }
     */
    redis: redisSchema.default({ mode: 'standalone' }),
    /** Existing Secret holding REDIS_URL (standalone) and REDIS_PASSWORD (optional key), the service's only secret settings. @default 'metasheet-cache-secrets' */
    secretName: dnsLabel.default('metasheet-cache-secrets'),
    /** Labels the prometheus-operator's selectors require on ServiceMonitor/PrometheusRule. */
    monitoringLabels: z.record(z.string()).default({ release: 'kube-prometheus-stack' }),
  })
  .strict();

/** `registry/repository:tag`, or `repository:tag` without a registry. */
export function imageReference(image: StagingConfig['image']): string {
  const name = image.registry === '' ? image.repository : `${image.registry}/${image.repository}`;
  return `${name}:${image.tag}`;
}

/** Input accepted by {@link parseStagingConfig}: every field but `image.tag` has a default. */
export type StagingConfigInput = z.input<typeof stagingConfigSchema>;
/** A validated synthesis config. */
export type StagingConfig = z.output<typeof stagingConfigSchema>;

/** Thrown when a synthesis config is invalid; the message names each bad field and value. */
export class StagingConfigError extends Error {
  override readonly name = 'StagingConfigError';
}

/**
 * Validates and defaults a synthesis config.
 * @throws StagingConfigError naming every bad field, its value and the rule it breaks.
 */
export function parseStagingConfig(input: unknown): StagingConfig {
  const parsed = stagingConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const field = issue.path.join('.') || '(root)';
    return `  ${field} = ${JSON.stringify(valueAt(input, issue.path))}: ${issue.message}`;
  });
  throw new StagingConfigError(`invalid staging config:\n${lines.join('\n')}`);
}

function valueAt(input: unknown, path: ReadonlyArray<string | number>): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
