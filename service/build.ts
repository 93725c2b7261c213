import { Registry } from 'prom-client';
import { API_KEY_PATTERNS } from './api/routes-table.ts';
import type { AppDeps } from './app.ts';
import type { Cache } from './cache/cache.ts';
import { RedisInvalidationBus } from './cache/invalidation-bus.ts';
import { KeyPatternExtractor } from './cache/key-pattern.ts';
import { L1CoherentCache } from './cache/l1-coherent.ts';
import { MemoryCache } from './cache/memory-cache.ts';
import { NullCache } from './cache/null-cache.ts';
import { REDIS_TTL_JITTER, RedisCache } from './cache/redis-cache.ts';
import { CacheRegistry } from './cache/registry.ts';
import { CacheStats } from './cache/stats.ts';
import type { Config } from './config.ts';
import { MrcEstimator } from './estimator/estimator.ts';
import { registerEstimatorGauges } from './estimator/metrics.ts';
import type { Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics/registry.ts';
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
      let lastLogged = 0;
      const redis = new RedisCache({
        url: config.REDIS_URL,
        keyPrefix: config.REDIS_KEY_PREFIX,
        timeoutMs: config.REDIS_TIMEOUT_MS,
        maxValueBytes: config.REDIS_MAX_VALUE_BYTES,
        onClientError: (err) => {
          // Reconnect loops emit an error per attempt: log at most one per 10 s.
          if (Date.now() - lastLogged < 10_000) return;
          lastLogged = Date.now();
          logger.warn('redis client error (requests fall back to the source)', {
            err: err.message,
          });
        },
      });
      metrics.circuitOpen.set({ impl: 'redis' }, 0);
      redis.onBreakerStateChange((state) => {
        metrics.circuitOpen.set({ impl: 'redis' }, state === 'closed' ? 0 : 1);
        logger.warn('redis circuit breaker', { state });
      });
      if (!config.CACHE_L1) return redis;
      // L1 in front of Redis; replicas drop each other's writes from it via pub/sub.
      const bus = new RedisInvalidationBus({
        url: config.REDIS_URL,
        channel: `${config.REDIS_KEY_PREFIX}l1-invalidation`,
        timeoutMs: config.REDIS_TIMEOUT_MS,
      });
      return new L1CoherentCache({ remote: redis, bus });
    }
  }
}

/** The dependencies of `createApp` for a configuration, with a fresh metrics registry. */
export function buildDeps(
  config: Config,
  logger: Logger,
  isDraining?: () => boolean,
): AppDeps & { readonly settings: RuntimeSettings } {
  const metrics = createMetrics(new Registry());
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
  if (estimator) registerEstimatorGauges(metrics.registry, estimator);
  const patterns = new KeyPatternExtractor({
    limit: config.CACHE_KEY_PATTERN_LIMIT,
    known: API_KEY_PATTERNS,
  });
  const cache = new CacheRegistry({
    metrics,
    patterns,
    stats: new CacheStats(),
    ...(estimator ? { observer: estimator } : {}),
    enabled: config.FEATURE_CACHE,
    initial: config.FEATURE_CACHE ? buildCache(config, metrics, logger) : new NullCache(),
    whitelist: config.CACHE_PATTERNS ?? null,
  });
  return {
    cache,
    metrics,
    logger,
    source: new MetaSheetSource({ latencyScale: config.SOURCE_LATENCY_SCALE }),
    nodeEnv: config.NODE_ENV,
    settings: runtimeSettings(config),
    ...(estimator ? { estimator } : {}),
    ...(isDraining ? { isDraining } : {}),
  };
}

/** `NullCache` → "NullCache", for the startup line `Cache: enabled (impl: MemoryCache)`. */
export function implClassName(impl: string): string {
  return { null: 'NullCache', memory: 'MemoryCache', redis: 'RedisCache' }[impl] ?? impl;
}
