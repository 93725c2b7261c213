import { z } from 'zod';
import { parseHostPorts, type RedisTarget } from './cache/redis-connect.ts';

const URL_SHAPE = /^rediss?:\/\/[^\s/]+/;
/** A `host:port` address (the port's range is checked apart). */
export const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$/;
/** A Sentinel master name (`REDIS_SENTINEL_NAME`). */
export const SENTINEL_NAME_SHAPE = /^[A-Za-z0-9._-]{1,64}$/;

const list = () =>
  z.string().transform((v) =>
    v
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  );

/** The schema entries for the Redis deployment (merged into `service/config.ts`). */
export const redisTopologySchema = {
  REDIS_CLUSTER_NODES: list()
    .refine(
      (us) => us.length > 0 && us.every((u) => URL_SHAPE.test(u)),
      'REDIS_CLUSTER_NODES must be a comma-separated list of redis:// or rediss:// seed URLs',
    )
    .optional(),
  REDIS_SENTINELS: list()
    .refine(
      (hs) =>
        hs.length > 0 && hs.every((h) => HOST_PORT.test(h) && Number(h.split(':')[1]) <= 65_535),
      'REDIS_SENTINELS must be a comma-separated list of host:port',
    )
    .optional(),
  REDIS_SENTINEL_NAME: z
    .string()
    .trim()
    .regex(SENTINEL_NAME_SHAPE, 'REDIS_SENTINEL_NAME must be 1-64 characters of [A-Za-z0-9._-]')
    .optional(),
  REDIS_PASSWORD: z.string().max(512, 'REDIS_PASSWORD must be at most 512 characters').optional(),
};

interface TopologyInput {
  readonly CACHE_LOCK?: boolean;
  readonly REDIS_URL: string;
  readonly REDIS_CLUSTER_NODES?: string[] | undefined;
  readonly REDIS_SENTINELS?: string[] | undefined;
  readonly REDIS_SENTINEL_NAME?: string | undefined;
}

/**
 * Conflicting or incomplete combinations, each naming its variables. `explicitUrl`: REDIS_URL
 * was set (not defaulted), which conflicts with the Cluster or Sentinel variables.
 */
export function redisTopologyProblems(c: TopologyInput, explicitUrl: boolean): string[] {
  const problems: string[] = [];
  const cluster = c.REDIS_CLUSTER_NODES !== undefined;
  const sentinel = c.REDIS_SENTINELS !== undefined;
  if (cluster && sentinel) {
    problems.push(
      'REDIS_CLUSTER_NODES (Cluster) and REDIS_SENTINELS (Sentinel) select different modes: set only one',
    );
  }
  if (explicitUrl && (cluster || sentinel)) {
    const other = cluster ? 'REDIS_CLUSTER_NODES' : 'REDIS_SENTINELS';
    problems.push(
      `REDIS_URL conflicts with ${other}: REDIS_URL is for one standalone Redis; unset it (put a password in REDIS_PASSWORD)`,
    );
  }
  if (sentinel && c.REDIS_SENTINEL_NAME === undefined) {
    problems.push(
      'REDIS_SENTINEL_NAME must be set with REDIS_SENTINELS (the monitored master name)',
    );
  }
  if (!sentinel && c.REDIS_SENTINEL_NAME !== undefined) {
    problems.push('REDIS_SENTINEL_NAME needs REDIS_SENTINELS (host:port of the sentinels)');
  }
  if ((cluster || sentinel) && c.CACHE_LOCK) {
    const mode = cluster ? 'REDIS_CLUSTER_NODES' : 'REDIS_SENTINELS';
    problems.push(
      `CACHE_LOCK=true is not supported with ${mode}: the cross-replica load lock uses one ` +
        'standalone connection (REDIS_URL); set CACHE_LOCK=false',
    );
  }
  return problems;
}

/** The Redis deployment the configuration selects. */
export function redisTarget(c: TopologyInput): RedisTarget {
  if (c.REDIS_CLUSTER_NODES) return { mode: 'cluster', seeds: c.REDIS_CLUSTER_NODES };
  if (c.REDIS_SENTINELS && c.REDIS_SENTINEL_NAME) {
    return {
      mode: 'sentinel',
      name: c.REDIS_SENTINEL_NAME,
      sentinels: parseHostPorts(c.REDIS_SENTINELS),
    };
  }
  return { mode: 'standalone', url: c.REDIS_URL };
}
