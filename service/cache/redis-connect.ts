import { ClusterTopology } from './redis-cluster-topology.ts';
import { type SentinelAddress, SentinelTopology } from './redis-sentinel-topology.ts';
import {
  type ConnectionOptions,
  type RedisTopology,
  StandaloneTopology,
} from './redis-topology.ts';

/** Which Redis to use, as `service/config.ts` derives it from the environment. */
export type RedisTarget =
  | { readonly mode: 'standalone'; readonly url: string }
  | { readonly mode: 'cluster'; readonly seeds: readonly string[] }
  | {
      readonly mode: 'sentinel';
      readonly name: string;
      readonly sentinels: readonly SentinelAddress[];
    };

/** Connects (in the background, never throwing) to the target's topology. */
export function connectTopology(target: RedisTarget, opts: ConnectionOptions = {}): RedisTopology {
  switch (target.mode) {
    case 'standalone':
      return new StandaloneTopology(target.url, opts);
    case 'cluster':
      return new ClusterTopology(target.seeds, opts);
    case 'sentinel':
      return new SentinelTopology(target.name, target.sentinels, opts);
  }
}

/** `host:port,host:port` → addresses (config has validated the shape). */
export function parseHostPorts(list: readonly string[]): SentinelAddress[] {
  return list.map((hp) => {
    const i = hp.lastIndexOf(':');
    return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
  });
}
