import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HOST = '127.0.0.1';
const INSTALL =
  'apt-get install -y --no-install-recommends redis-server (or run `make setup`, which does it)';

/** `redis-cli -p port args…` on loopback; resolves with stdout. */
export async function redisCli(
  port: number,
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<string> {
  try {
    const { stdout } = await run('redis-cli', ['-h', HOST, '-p', String(port), ...args], {
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(`redis-cli missing: ${INSTALL}`);
    throw err;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 50 ms; throws `what` after `withinMs`. */
export async function waitFor(
  what: string,
  cond: () => Promise<boolean>,
  withinMs: number,
): Promise<void> {
  const end = Date.now() + withinMs;
  for (;;) {
    if (await cond().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(50);
  }
}

/** One redis-server (or sentinel) process this helper started. */
export interface ServerProcess {
  readonly port: number;
  readonly child: ChildProcess;
  /** SIGKILL (a crash: no shutdown, no failover hand-off); resolves once it exited. */
  kill(): Promise<void>;
}

/** Starts `redis-server --port port --dir dir args…` on loopback; resolves once it answers PING. */
export function startServer(
  port: number,
  dir: string,
  args: readonly string[],
): Promise<ServerProcess> {
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    'redis-server',
    [
      ...args,
      '--port',
      String(port),
      '--bind',
      HOST,
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--logfile',
      join(dir, 'redis.log'),
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.once('error', () => {});
  const proc: ServerProcess = {
    port,
    child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  return waitFor(
    `redis-server on ${port} (${INSTALL} if missing)`,
    async () => (await redisCli(port, ['ping'], 1000)).trim() === 'PONG',
    10_000,
  ).then(
    () => proc,
    async (err) => {
      await proc.kill();
      throw err;
    },
  );
}

/** A local Redis Cluster this helper started. */
export interface LocalCluster {
  /** Seed URLs, e.g. `redis://127.0.0.1:7000` (all six nodes). */
  readonly seeds: string[];
  readonly nodes: ServerProcess[];
  /** The masters as the cluster reports them now: port and node id. */
  masters(): Promise<{ port: number; id: string; slots: number }[]>;
  /** Starts a (killed) node again on its port, with its old nodes.conf: it rejoins. */
  restart(port: number): Promise<void>;
  stop(): Promise<void>;
}

/** `CLUSTER NODES` of the node on `port`, parsed. */
export async function clusterNodes(port: number): Promise<
  {
    id: string;
    port: number;
    master: boolean;
    failed: boolean;
    slots: number;
    /** For a replica, the id of its master. */
    masterId: string;
  }[]
> {
  const out = await redisCli(port, ['cluster', 'nodes'], 2000);
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', addr = '', flags = '', masterId = '', , , , , ...ranges] = line.split(' ');
      let slots = 0;
      for (const r of ranges) {
        if (r.startsWith('[')) continue; // migrating/importing marker
        const [a, b] = r.split('-').map(Number);
        slots += b === undefined ? 1 : b - (a ?? 0) + 1;
      }
      return {
        id,
        port: Number(addr.split('@')[0]?.split(':')[1]),
        master: flags.includes('master'),
        failed: flags.includes('fail') && !flags.includes('fail?'),
        slots,
        masterId,
      };
    });
}

/** Masters (with slots, not failed) that have a live replica: the ones a failover can promote. */
export async function mastersWithReplica(
  port: number,
): Promise<{ id: string; port: number; slots: number }[]> {
  const view = await clusterNodes(port);
  return view.filter(
    (m) =>
      m.master &&
      m.slots > 0 &&
      !m.failed &&
      view.some((r) => !r.master && !r.failed && r.masterId === m.id),
  );
}

/**
 * Starts six `redis-server --cluster-enabled yes` on `ports` and joins them with
 * `redis-cli --cluster create … --cluster-replicas 1` (3 masters, 3 replicas). A short
 * `cluster-node-timeout` keeps failovers (and so the suite) quick.
 */
export async function startCluster(
  ports: readonly number[],
  nodeTimeoutMs = 1500,
): Promise<LocalCluster> {
  const root = mkdtempSync(join(tmpdir(), 'metasheet-cluster-'));
  const args = (port: number) => [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    `nodes-${port}.conf`,
    '--cluster-node-timeout',
    String(nodeTimeoutMs),
    // As recommended for a cache: the slots of healthy masters keep serving while one
    // master is down (the default, yes, makes every node refuse with CLUSTERDOWN).
    '--cluster-require-full-coverage',
    'no',
    // A replica whose master died a while ago may still take over (a loaded box).
    '--cluster-replica-validity-factor',
    '0',
  ];
  const nodes: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (const p of ports) nodes.push(await startServer(p, join(root, String(p)), args(p)));
    const first = ports[0] ?? 0;
    await redisCli(first, [
      '--cluster',
      'create',
      ...ports.map((p) => `${HOST}:${p}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    await waitFor(
      'cluster_state:ok on every node',
      async () => {
        for (const p of ports) {
          if (!(await redisCli(p, ['cluster', 'info'], 1000)).includes('cluster_state:ok'))
            return false;
        }
        // Every node must also know the final roles (replicas attached).
        const view = await clusterNodes(first);
        return view.filter((n) => n.master && n.slots > 0).length === 3 && view.length === 6;
      },
      20_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    seeds: ports.map((p) => `redis://${HOST}:${p}`),
    nodes,
    async masters() {
      for (const n of nodes) {
        if (n.child.exitCode !== null || n.child.signalCode !== null) continue;
        const view = await clusterNodes(n.port).catch(() => undefined);
        if (!view) continue;
        return view
          .filter((v) => v.master && !v.failed && v.slots > 0)
          .map(({ port, id, slots }) => ({ port, id, slots }));
      }
      throw new Error('no cluster node answers');
    },
    async restart(port) {
      const i = nodes.findIndex((n) => n.port === port);
      const old = nodes[i];
      if (!old) throw new Error(`no node on ${port}`);
      await old.kill();
      nodes[i] = await startServer(port, join(root, String(port)), args(port));
    },
    stop,
  };
}

/** A local Sentinel group: one master, one replica, three sentinels. */
export interface LocalSentinel {
  readonly name: string;
  /** `host:port` of every sentinel (the REDIS_SENTINELS value). */
  readonly sentinels: string[];
  readonly servers: ServerProcess[];
  readonly sentinelProcesses: ServerProcess[];
  /** port → data dir of the master and the replica (to start a killed one again). */
  readonly dataDirs: Record<number, string>;
  /** The port the sentinels report as master now. */
  masterPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts a master on `dataPorts[0]`, a replica on `dataPorts[1]` and three sentinels
 * (quorum 2) on `sentinelPorts`, with a short `down-after-milliseconds`.
 */
export async function startSentinel(
  dataPorts: readonly [number, number],
  sentinelPorts: readonly number[],
  name = 'metasheet',
  downAfterMs = 1000,
): Promise<LocalSentinel> {
  const root = mkdtempSync(join(tmpdir(), 'metasheet-sentinel-'));
  const servers: ServerProcess[] = [];
  const sentinelProcesses: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all([...servers, ...sentinelProcesses].map((n) => n.kill()));
    rmSync(root, { recursive: true, force: true });
  };
  const [masterPort, replicaPort] = dataPorts;
  try {
    servers.push(await startServer(masterPort, join(root, String(masterPort)), []));
    servers.push(
      await startServer(replicaPort, join(root, String(replicaPort)), [
        '--replicaof',
        HOST,
        String(masterPort),
      ]),
    );
    await waitFor(
      'replica in sync',
      async () =>
        (await redisCli(replicaPort, ['info', 'replication'], 1000)).includes(
          'master_link_status:up',
        ),
      10_000,
    );
    for (const p of sentinelPorts) {
      const dir = join(root, `s${p}`);
      mkdirSync(dir, { recursive: true });
      const conf = join(dir, 'sentinel.conf');
      writeFileSync(
        conf,
        [
          `sentinel monitor ${name} ${HOST} ${masterPort} 2`,
          `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      sentinelProcesses.push(await startServer(p, dir, [conf, '--sentinel']));
    }
    await waitFor(
      'sentinels see each other and the replica',
      async () => {
        for (const p of sentinelPorts) {
          const info = await redisCli(p, ['sentinel', 'master', name], 1000);
          const field = (k: string) => {
            const lines = info.trim().split('\n');
            return Number(lines[lines.indexOf(k) + 1]);
          };
          if (field('num-other-sentinels') < sentinelPorts.length - 1) return false;
          if (field('num-slaves') < 1) return false;
        }
        return true;
      },
      20_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name,
    dataDirs: Object.fromEntries(dataPorts.map((p) => [p, join(root, String(p))])),
    sentinels: sentinelPorts.map((p) => `${HOST}:${p}`),
    servers,
    sentinelProcesses,
    async masterPort() {
      for (const s of sentinelProcesses) {
        const out = await redisCli(
          s.port,
          ['sentinel', 'get-master-addr-by-name', name],
          1000,
        ).catch(() => '');
        const port = Number(out.trim().split('\n')[1]);
        if (port > 0) return port;
      }
      throw new Error('no sentinel answers');
    },
    stop,
  };
}
