import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { samples } from '../test/helpers/metrics-reader.ts';
import { buildRedisCache } from './build-redis.ts';
import { loadConfig } from './config.ts';
import { silentLogger } from './logger.ts';
import { METRICS } from './metrics/names.ts';
import { createMetrics } from './metrics/registry.ts';

describe('buildRedisCache: topology gauges (no Redis needed: a closed port)', () => {
  it('export the topology while the cache is in use, and nothing once it is closed', async () => {
    const metrics = createMetrics(new Registry(), { defaultMetrics: false });
    const config = loadConfig({ CACHE_IMPL: 'redis', REDIS_URL: 'redis://127.0.0.1:1' });
    const cache = buildRedisCache(config, metrics, silentLogger);
    const read = async () => ({
      nodes: (await samples(metrics.registry, METRICS.redisNodes.name)).map(
        (s) => `${s.labels.role}=${s.value}`,
      ),
      uncovered: (await samples(metrics.registry, METRICS.redisSlotsWithoutMaster.name))[0]?.value,
    });
    // Unreachable: its one master is known but not connected, so its one slot is uncovered.
    expect(await read()).toEqual({ nodes: ['master=1', 'replica=0'], uncovered: 1 });
    await cache.close();
    // Swapped out / shut down: no alert on a Redis nobody uses any more.
    expect(await read()).toEqual({ nodes: [], uncovered: 0 });
  });
});
