import { RedisCache } from './cache/redis-cache.ts';
import { connectTopology } from './cache/redis-connect.ts';
import { classifyRedisError } from './cache/redis-errors.ts';
import { ThrottledErrorLog } from './cache/redis-logging.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics/registry.ts';
import { urlSecrets } from './redact.ts';
import { redisTarget } from './redis-config.ts';

/**
 * The RedisCache for the configured deployment (REDIS_URL, REDIS_CLUSTER_NODES or
 * REDIS_SENTINELS + REDIS_SENTINEL_NAME), with REDIS_PASSWORD applied to every node.
 * Its topology feeds `cache_redis_nodes{role}` and `cache_redis_slots_without_master` at
 * scrape time; failed ops count in `cache_redis_node_errors_total{shard,error_type}`.
 * Client errors are logged once per 10 s and error type, failed ops once per type and
 * minute (`ThrottledErrorLog`); the logger redacts REDIS_URL's credentials and
 * REDIS_PASSWORD (`configRedactor`), and so does the cache in `status`.
 */
export function buildRedisCache(config: Config, metrics: Metrics, logger: Logger): RedisCache {
  // Reconnect loops emit a client error per attempt: one line per 10 s and type.
  const clientErrors = new ThrottledErrorLog(logger, { reminderMs: 10_000 });
  const opErrors = new ThrottledErrorLog(logger);
  let cache: RedisCache | undefined;
  const onError = (err: Error) => {
    cache?.noteClientError(err);
    clientErrors.report(classifyRedisError(err).type, err.message, 'redis client error');
  };
  const target = redisTarget(config);
  const topology = connectTopology(target, {
    ...(config.REDIS_PASSWORD === undefined ? {} : { password: config.REDIS_PASSWORD }),
    onError,
  });
  // Once this cache is closed (e.g. swapped out at run time) the gauges go away, so the
  // slots alert does not fire on a Redis nobody uses any more.
  metrics.redisTopology.view = () => (topology.closed ? undefined : topology.view());
  logger.info('redis topology', {
    mode: target.mode,
    // Addresses only: a URL's credentials are stripped, REDIS_PASSWORD is never logged.
    nodes:
      target.mode === 'standalone'
        ? [hostPort(target.url)]
        : target.mode === 'cluster'
          ? target.seeds.map(hostPort)
          : target.sentinels.map((s) => `${s.host}:${s.port}`),
  });
  cache = new RedisCache({
    topology,
    keyPrefix: config.REDIS_KEY_PREFIX,
    timeoutMs: config.REDIS_TIMEOUT_MS,
    maxValueBytes: config.REDIS_MAX_VALUE_BYTES,
    secrets: [
      ...(target.mode === 'standalone' ? urlSecrets(target.url) : []),
      ...(target.mode === 'cluster' ? target.seeds.flatMap(urlSecrets) : []),
      ...(config.REDIS_PASSWORD === undefined ? [] : [config.REDIS_PASSWORD]),
    ],
    onNodeError: (node, error) =>
      metrics.redisNodeErrors.inc({ shard: topology.shardOf(node), error_type: error.type }),
    onOpError: (err) => opErrors.report(err.type, err.message, 'redis operation failed'),
  });
  return cache;
}

function hostPort(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '<unparsable url>';
  }
}
