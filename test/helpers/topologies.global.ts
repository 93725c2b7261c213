import type { TestProject } from 'vitest/node';
import {
  type LocalCluster,
  type LocalSentinel,
  redisCli,
  startCluster,
  startSentinel,
} from './redis-servers.ts';

/**
 * Global setup of the `redis` vitest project: one local Redis Cluster (3 masters +
 * 3 replicas on 7000-7005) and one Sentinel group (master 7010, replica 7011, sentinels
 * 26400-26402), started once and shared by every test file that needs them (the files of
 * that project run one at a time). Everything is stopped at the end; a test that kills a
 * node leaves a smaller but valid topology behind.
 */
/**
 * `TOPOLOGY_PORT_BASE=B` moves them to B..B+5, B+10..B+11 and B+20..B+22, so worktrees
 * sharing a machine can each run this project in their own port range.
 */
const base = Number(process.env.TOPOLOGY_PORT_BASE ?? '') || undefined;
const at = (b: number, n: number) => Array.from({ length: n }, (_, i) => b + i);
export const CLUSTER_PORTS = base ? at(base, 6) : [7000, 7001, 7002, 7003, 7004, 7005];
export const SENTINEL_DATA_PORTS: readonly [number, number] = base
  ? [base + 10, base + 11]
  : [7010, 7011];
export const SENTINEL_PORTS = base ? at(base + 20, 3) : [26400, 26401, 26402];

export interface Topologies {
  readonly clusterSeeds: string[];
  /** port → pid of every cluster node, so a test can crash one (SIGKILL). */
  readonly clusterPids: Record<number, number>;
  readonly sentinelName: string;
  readonly sentinels: string[];
  readonly sentinelDataPids: Record<number, number>;
  /** port → data dir, so a test can start a node it killed again (as a replica). */
  readonly sentinelDataDirs: Record<number, string>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    topologies: Topologies;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let cluster: LocalCluster | undefined;
  let sentinel: LocalSentinel | undefined;
  try {
    [cluster, sentinel] = await Promise.all([
      startCluster(CLUSTER_PORTS),
      startSentinel(SENTINEL_DATA_PORTS, SENTINEL_PORTS),
    ]);
  } catch (err) {
    await cluster?.stop();
    await sentinel?.stop();
    throw err;
  }
  const pids = (ps: { port: number; child: { pid?: number | undefined } }[]) =>
    Object.fromEntries(ps.map((n) => [n.port, n.child.pid ?? 0]));
  project.provide('topologies', {
    clusterSeeds: cluster.seeds,
    clusterPids: pids(cluster.nodes),
    sentinelName: sentinel.name,
    sentinels: sentinel.sentinels,
    sentinelDataPids: pids(sentinel.servers),
    sentinelDataDirs: sentinel.dataDirs,
  });
  const c = cluster;
  const s = sentinel;
  return async () => {
    await Promise.all([c.stop(), s.stop()]);
    // A test may have started a killed node again from its own process: stop those too.
    for (const port of [...CLUSTER_PORTS, ...SENTINEL_DATA_PORTS]) {
      await redisCli(port, ['shutdown', 'nosave'], 2000).catch(() => {});
    }
  };
}
