import { API_KEY_PATTERNS } from './api/routes-table.ts';
import { API_VALUE_POLICY } from './api/value-shapes.ts';
import type { AppDeps } from './app.ts';
import { buildRedisCache } from './build-redis.ts';
import type { Cache } from './cache/cache.ts';
import { FollowingInvalidationBus } from './cache/following-invalidation-bus.ts';
import { RedisInvalidationBus } from './cache/invalidation-bus.ts';
import { KeyPatternExtractor } from './cache/key-pattern.ts';
import { L1CoherentCache } from './cache/l1-coherent.ts';
import { MemoryCache } from './cache/memory-cache.ts';
import { NullCache } from './cache/null-cache.ts';
import { REDIS_TTL_JITTER } from './cache/redis-cache.ts';
import { ClusterTopology } from './cache/redis-cluster-topology.ts';
import { RedisLoadLock } from './cache/redis-lock.ts';
import { logBreakerOutages } from './cache/redis-logging.ts';
import { SentinelTopology } from './cache/redis-sentinel-topology.ts';
import { CacheRegistry } from './cache/registry.ts';
import { CacheStats } from './cache/stats.ts';
import type { Config } from './config.ts';
import { MrcEstimator } from './estimator/estimator.ts';
import { registerEstimatorGauges } from './estimator/metrics.ts';
import type { Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics/registry.ts';
import { ScrapeRegistry } from './metrics/scrape-family.ts';
import { type RuntimeSettings, runtimeSettings } from './runtime-config.ts';
import { MetaSheetSource } from './source/metasheet-source.ts';

/**
 * Builds the cache implementation named by `CACHE_IMPL`. For Redis, the breaker state is
 * published as `cache_circuit_open{impl="redis"}` and client errors are logged.
 */
export function buildCache(config: Config, metrics: Metrics, logger: Logger): Cache {
  switch (config.CACHE_IMPL) {
    case 'null':
      return new NullCache();
    case 'memory':
      return new MemoryCache({
        maxEntries: config.MEMORY_CACHE_MAX_ENTRIES,
        maxBytes: config.MEMORY_CACHE_MAX_BYTES,
      });
    case 'redis': {
      const redis = buildRedisCache(config, metrics, logger);
      metrics.circuitOpen.set({ impl: 'redis' }, 0);
      redis.onBreakerStateChange((state) => {
        metrics.circuitOpen.set({ impl: 'redis' }, state === 'closed' ? 0 : 1);
      });
      logBreakerOutages(redis, logger);
      if (!config.CACHE_L1) return redis;
      // L1 in front of Redis; replicas drop each other's writes from it via pub/sub
      // (following the master on Cluster and Sentinel; sharded pub/sub on a Cluster).
      if (redis.topology instanceof ClusterTopology || redis.topology instanceof SentinelTopology) {
        const bus = new FollowingInvalidationBus({
          topology: redis.topology,
          channel: `${config.REDIS_KEY_PREFIX}l1-invalidation`,
          ...(config.REDIS_PASSWORD === undefined ? {} : { password: config.REDIS_PASSWORD }),
          tls: (config.REDIS_CLUSTER_NODES ?? []).some((u) => u.startsWith('rediss://')),
          timeoutMs: config.REDIS_TIMEOUT_MS,
        });
        return new L1CoherentCache({ remote: redis, bus });
      }
      const bus = new RedisInvalidationBus({
        url: config.REDIS_URL,
        ...(config.REDIS_PASSWORD === undefined ? {} : { password: config.REDIS_PASSWORD }),
        channel: `${config.REDIS_KEY_PREFIX}l1-invalidation`,
        timeoutMs: config.REDIS_TIMEOUT_MS,
      });
      return new L1CoherentCache({ remote: redis, bus });
    }
  }
}

/**
 * What differs between the service process (`buildDeps`, from the configuration) and a test
 * app (`test/helpers/build-test-app.ts`, from overrides); `assembleDeps` wires the rest.
 * Everything of `AppDeps` but the registry passes through unchanged.
 */
export interface DepsParts extends Omit<AppDeps, 'cache' | 'estimator'> {
  /** FEATURE_CACHE. */
  readonly enabled: boolean;
  /** The implementation the registry starts with. @default NullCache */
  readonly initial?: Cache;
  /** CACHE_PATTERNS; `null`: every pattern. */
  readonly whitelist: readonly string[] | null;
  /** CACHE_KEY_PATTERN_LIMIT. @default KeyPatternExtractor's (50) */
  readonly patternLimit?: number;
  /** The sizing estimator: observes the registry's operations, gauges at scrape time. */
  readonly estimator?: MrcEstimator;
  /** Wall clock of the registry (fresh times, the health window). @default Date.now */
  readonly wallNow?: () => number;
}

/**
 * The one wiring of the app's dependencies: the estimator's gauges on the metrics registry,
 * the key patterns of the example API, and the `CacheRegistry` with the API's value policy.
 */
export function assembleDeps(parts: DepsParts): AppDeps {
  const { enabled, initial, whitelist, patternLimit, estimator, wallNow, ...rest } = parts;
  if (estimator) registerEstimatorGauges(rest.metrics.registry, estimator);
  const cache = new CacheRegistry({
    metrics: rest.metrics,
    patterns: new KeyPatternExtractor({
      ...(patternLimit === undefined ? {} : { limit: patternLimit }),
      known: API_KEY_PATTERNS,
    }),
    stats: new CacheStats(),
    ...(estimator ? { observer: estimator } : {}),
    enabled,
    ...(initial ? { initial } : {}),
    whitelist,
    values: API_VALUE_POLICY,
    ...(wallNow ? { wallNow } : {}),
  });
  return { ...rest, cache, ...(estimator ? { estimator } : {}) };
}

/** The dependencies of `createApp` for a configuration, with a fresh metrics registry. */
export function buildDeps(
  config: Config,
  logger: Logger,
  isDraining?: () => boolean,
): AppDeps & { readonly settings: RuntimeSettings } {
  // ScrapeRegistry: the estimator's scrape-time families render themselves (same text).
  const metrics = createMetrics(new ScrapeRegistry());
  // The start is the first good load: without it these read 0 and the reload alert fires.
  metrics.configLastReloadSuccessful.set(1);
  metrics.configLastReloadSuccessTime.set(Date.now() / 1000);
  // The sizing estimator observes while the cache is on, whatever the implementation
  // (NullCache included): that is how Phase 2 sees hit ratios nobody has cached yet. It
  // exists even while FEATURE_CACHE is off (it then sees nothing), so a reload can turn it on.
  const estimator = config.ESTIMATOR_ENABLED
    ? new MrcEstimator({
        maxBytesPerPattern: config.ESTIMATOR_MAX_BYTES_PER_PATTERN,
        maxPatterns: config.CACHE_KEY_PATTERN_LIMIT,
        redisLayout: { keyPrefix: config.REDIS_KEY_PREFIX },
        sharedReplicas: config.ESTIMATOR_REPLICAS,
        // Redis stretches each TTL by 0–10 % (RedisCache's jitter): 5 % on average.
        ttlScale: config.ESTIMATOR_REPLICAS * (1 + REDIS_TTL_JITTER / 2),
        ...(config.ESTIMATOR_SIZES_ENTRIES ? { sizesEntries: config.ESTIMATOR_SIZES_ENTRIES } : {}),
        ...(config.ESTIMATOR_SIZES_BYTES ? { sizesBytes: config.ESTIMATOR_SIZES_BYTES } : {}),
      })
    : undefined;
  const initial = config.FEATURE_CACHE ? buildCache(config, metrics, logger) : new NullCache();
  const loadLock =
    config.FEATURE_CACHE && config.CACHE_LOCK
      ? new RedisLoadLock({
          url: config.REDIS_URL,
          ...(config.REDIS_PASSWORD === undefined ? {} : { password: config.REDIS_PASSWORD }),
          keyPrefix: config.REDIS_KEY_PREFIX,
          ttlMs: config.CACHE_LOCK_TTL_MS,
          waitMs: config.CACHE_LOCK_WAIT_MS,
          timeoutMs: config.REDIS_TIMEOUT_MS,
        })
      : undefined;
  const settings = runtimeSettings(config);
  const deps = assembleDeps({
    metrics,
    logger,
    source: buildSource(config),
    enabled: config.FEATURE_CACHE,
    initial,
    whitelist: config.CACHE_PATTERNS ?? null,
    patternLimit: config.CACHE_KEY_PATTERN_LIMIT,
    ...(estimator ? { estimator } : {}),
    grace: {
      graceMs: config.CACHE_GRACE_SECONDS * 1000,
      softTimeoutMs: config.CACHE_SOFT_TIMEOUT_MS,
      earlyRefreshBeta: config.CACHE_EARLY_REFRESH_BETA,
    },
    ...(loadLock ? { loadLock } : {}),
    nodeEnv: config.NODE_ENV,
    settings,
    ...(isDraining ? { isDraining } : {}),
  });
  return { ...deps, settings };
}

/** The embedded source with the configured timeout and faults (the outage window counts from now). */
export function buildSource(config: Config, startMs = Date.now()): MetaSheetSource {
  const outageMs = config.SOURCE_OUTAGE_SECONDS * 1000;
  const fromMs = startMs + config.SOURCE_OUTAGE_START_SECONDS * 1000;
  return new MetaSheetSource({
    latencyScale: config.SOURCE_LATENCY_SCALE,
    timeoutMs: config.SOURCE_TIMEOUT_MS,
    faults: {
      errorRate: config.SOURCE_ERROR_RATE,
      extraLatencyMs: config.SOURCE_EXTRA_LATENCY_MS,
      ...(outageMs > 0 ? { outage: { fromMs, untilMs: fromMs + outageMs } } : {}),
    },
  });
}

/** `NullCache` → "NullCache", for the startup line `Cache: enabled (impl: MemoryCache)`. */
export function implClassName(impl: string): string {
  return { null: 'NullCache', memory: 'MemoryCache', redis: 'RedisCache' }[impl] ?? impl;
}
