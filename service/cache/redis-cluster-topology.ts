import calculateSlot from 'cluster-key-slot';
import { createCluster, ErrorReply } from 'redis';
import type { BusRoute } from './following-invalidation-bus.ts';
import { reconnectBackoff } from './redis-client.ts';
import { isRedirect } from './redis-errors.ts';
import { GET_ON_NODE } from './redis-scripts.ts';
import {
  type ConnectionOptions,
  getOrMGet,
  type RedisTopology,
  type TopologyView,
} from './redis-topology.ts';

type Cluster = ReturnType<typeof createCluster>;
const SLOTS = 16384;

export interface ClusterTopologyOptions extends ConnectionOptions {
  /** How often the client checks its masters; a dead one triggers a rediscovery. @default 250 */
  readonly checkIntervalMs?: number;
  /** How often replicas are counted (CLUSTER SLOTS on one master). @default 5000 */
  readonly replicaPollMs?: number;
}

/**
 * Redis Cluster through node-redis v5's own `createCluster`: it maps slots to masters,
 * follows MOVED (rediscovers the slot map) and ASK (ASKING + retry on the importing node)
 * during resharding. What it does not do by itself is notice a master that died: it
 * would keep routing that master's slots to a dead address until a MOVED arrives, and
 * a dead node sends none. So this class rediscovers the topology (CLUSTER SLOTS from a
 * live node) whenever a master's connection drops, and every `checkIntervalMs` while
 * any master is unreachable, which picks up the promoted replica within one interval
 * of the promotion.
 */
export class ClusterTopology implements RedisTopology, BusRoute {
  readonly mode = 'cluster';
  readonly multiKeyAnySlot = false;
  readonly cluster: Cluster;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #onError: (err: Error) => void;
  #replicas = 0;
  #connected = false;
  #closed = false;
  #rediscovering: Promise<void> | undefined;
  #shardIndex = new Map<string, number>();
  #shardIndexAt = 0;
  /** One scripted GET per node and batch (GET_ON_NODE); off once a node refuses the script. */
  #scriptedGets = true;

  constructor(seeds: readonly string[], opts: ClusterTopologyOptions = {}) {
    this.#onError = opts.onError ?? (() => {});
    this.cluster = createCluster({
      rootNodes: seeds.map((url) => ({ url })),
      defaults: {
        ...(opts.password === undefined ? {} : { password: opts.password }),
        // Fail fast while a node is away (the breaker of that node counts it), never queue.
        disableOfflineQueue: true,
        commandsQueueMaxLength: opts.maxQueuedCommands ?? 10_000,
        socket: {
          connectTimeout: opts.connectTimeoutMs ?? 1000,
          reconnectStrategy: reconnectBackoff(opts.maxReconnectDelayMs ?? 1000),
          // Discovered nodes get these defaults, not the seed URLs: TLS must be said here.
          ...(seeds.some((u) => u.startsWith('rediss://')) ? { tls: true as const } : {}),
        },
      },
      useReplicas: false,
      maxCommandRedirections: 16,
    });
    // Without 'error' listeners EventEmitter would throw and crash the process.
    this.cluster.on('error', (err: Error) => this.#onError(err));
    this.cluster.on('node-error', (err: Error) => {
      this.#onError(err);
      this.#rediscover();
    });
    this.cluster.on('node-reconnecting', () => this.#rediscover());
    this.onReady((send) => {
      send(['SCRIPT', 'LOAD', GET_ON_NODE.source]).catch(() => {});
    });
    void this.#connectLoop();
    const check = setInterval(() => {
      if (this.#connected && this.cluster.masters.some((m) => !m.client?.isReady)) {
        this.#rediscover();
      }
    }, opts.checkIntervalMs ?? 250);
    const poll = setInterval(() => void this.#countReplicas(), opts.replicaPollMs ?? 5000);
    for (const t of [check, poll]) {
      t.unref();
      this.#timers.push(t);
    }
  }

  /** Connects (discovers the slot map from a seed), retrying with back-off until closed. */
  async #connectLoop(): Promise<void> {
    for (let attempt = 0; !this.#closed; attempt++) {
      try {
        await this.cluster.connect();
        this.#connected = true;
        void this.#countReplicas();
        return;
      } catch (err) {
        if (err instanceof Error) this.#onError(err);
        await new Promise((r) => setTimeout(r, reconnectBackoff(1000)(attempt)).unref());
      }
    }
  }

  // The L1 bus (BusRoute): sharded pub/sub on the master of the channel's slot.
  readonly sharded = true;
  subscribeNode(channel: string): string {
    return this.nodeOf(channel);
  }
  publish(channel: string, message: string): Promise<number> {
    return this.cluster.sPublish(channel, message);
  }

  /** Re-reads the slot map soon (e.g. after a MOVED seen outside the router). */
  refresh(): void {
    this.#rediscover();
  }

  /** One rediscovery at a time, started from a live master (else the seeds). */
  #rediscover(): void {
    if (!this.#connected || this.#closed || this.#rediscovering) return;
    const live = this.cluster.masters.find((m) => m.client?.isReady)?.client;
    const start = live ?? this.cluster.masters[0]?.client;
    if (!start) return;
    this.#rediscovering = this.cluster._slots
      .rediscover(start)
      .catch((err: unknown) => {
        if (err instanceof Error) this.#onError(err);
      })
      .finally(() => {
        // At most one rediscovery per 100 ms, however many nodes report errors.
        setTimeout(() => {
          this.#rediscovering = undefined;
        }, 100).unref();
      });
  }

  async #countReplicas(): Promise<void> {
    const live = this.cluster.masters.find((m) => m.client?.isReady)?.client;
    if (!live) return;
    try {
      const shards = await live.clusterSlots();
      const replicas = new Set<string>();
      for (const s of shards) for (const r of s.replicas) replicas.add(`${r.host}:${r.port}`);
      this.#replicas = replicas.size;
    } catch {
      // Counted on the next poll; the gauge keeps its last value meanwhile.
    }
  }

  nodeOf(key: string): string {
    return this.cluster.slots[calculateSlot(key)]?.master.address ?? '';
  }
  slotOf(key: string): number {
    return calculateSlot(key);
  }
  isReady(node: string): boolean {
    return this.cluster.nodeByAddress.get(node)?.client?.isReady === true;
  }
  get anyReady(): boolean {
    return this.#connected && this.cluster.masters.some((m) => m.client?.isReady);
  }
  get(key: string): Promise<string | null> {
    return this.cluster.get(key);
  }
  mGet(keys: string[]): Promise<(string | null)[]> {
    return this.cluster.mGet(keys);
  }
  /**
   * Straight to the node's own connection (no per-command routing): the per-slot MGETs go
   * out in one write. A slot that moved meanwhile answers MOVED/ASK (or TRYAGAIN while
   * its keys are split by a migration): those keys are fetched again one by one through
   * the cluster client, which follows the redirection and refreshes its slot map.
   */
  async mGetOnNode(node: string, keys: string[]): Promise<(string | null)[]> {
    const client = this.cluster.nodeByAddress.get(node)?.client;
    if (!client) return Promise.all(keys.map((k) => this.cluster.get(k)));
    if (keys.length > 1 && this.#scriptedGets) {
      try {
        const reply = (await client.sendCommand(['EVALSHA', GET_ON_NODE.sha1, '0', ...keys])) as (
          | string
          | null
        )[];
        return reply;
      } catch (err) {
        if (err instanceof ErrorReply && err.message.startsWith('NOSCRIPT')) {
          client.sendCommand(['SCRIPT', 'LOAD', GET_ON_NODE.source]).catch(() => {});
        } else if (err instanceof ErrorReply && /flags|shebang|Unexpected/i.test(err.message)) {
          this.#scriptedGets = false; // Redis < 7.0: per-slot MGETs from now on
        } else if (!(err instanceof ErrorReply)) {
          throw err;
        }
        // A key not (or no longer) on this node: the per-slot path below redirects.
      }
    }
    const bySlot = new Map<number, number[]>();
    for (let i = 0; i < keys.length; i++) {
      const slot = calculateSlot(keys[i] ?? '');
      const group = bySlot.get(slot);
      if (group) group.push(i);
      else bySlot.set(slot, [i]);
    }
    const out = new Array<string | null>(keys.length).fill(null);
    await Promise.all(
      [...bySlot.values()].map(async (idx) => {
        const ks = idx.map((i) => keys[i] ?? '');
        const values = await getOrMGet(client, ks).catch((err: unknown) => {
          if (!isRedirect(err)) throw err;
          return Promise.all(ks.map((k) => this.cluster.get(k)));
        });
        for (let j = 0; j < idx.length; j++) out[idx[j] ?? 0] = values[j] ?? null;
      }),
    );
    return out;
  }
  del(key: string): Promise<number> {
    return this.cluster.del(key);
  }
  send(key: string | undefined, args: string[]): Promise<unknown> {
    return this.cluster.sendCommand(key, false, args);
  }
  masterNodes(): string[] {
    return this.cluster.masters.map((m) => m.address);
  }
  sendToNode(node: string, args: string[]): Promise<unknown> {
    const client = this.cluster.nodeByAddress.get(node)?.client;
    return client?.isReady
      ? client.sendCommand(args)
      : Promise.reject(new Error(`no connection to ${node}`));
  }
  ping(node: string): Promise<unknown> {
    const client = this.cluster.nodeByAddress.get(node)?.client;
    return client ? client.ping() : Promise.reject(new Error(`no connection to ${node}`));
  }
  onReady(listener: (send: (args: string[]) => Promise<unknown>) => void): void {
    this.cluster.on('node-ready', (info: { host: string; port: number }) => {
      const client = this.cluster.nodeByAddress.get(`${info.host}:${info.port}`)?.client;
      if (client) listener((args) => client.sendCommand(args));
    });
  }

  /**
   * A bounded, stable label for a master: its rank by lowest slot owned (`0` owns slot 0).
   * Addresses churn (pod IPs), ranks do not; recomputed at most once a second.
   */
  shardOf(node: string): string {
    const now = Date.now();
    if (now - this.#shardIndexAt > 1000) {
      this.#shardIndexAt = now;
      const index = new Map<string, number>();
      for (const shard of this.cluster.slots) {
        const a = shard?.master.address;
        if (a !== undefined && !index.has(a)) index.set(a, index.size);
      }
      this.#shardIndex = index;
    }
    const i = this.#shardIndex.get(node);
    return i === undefined ? 'none' : String(i);
  }

  view(): TopologyView {
    let uncovered = 0;
    const slots = this.cluster.slots;
    for (let i = 0; i < SLOTS; i++) {
      if (slots[i]?.master.client?.isReady !== true) uncovered++;
    }
    return {
      masters: this.cluster.masters.length,
      replicas: this.#replicas,
      slotsWithoutMaster: uncovered,
      slots: SLOTS,
    };
  }

  get closed(): boolean {
    return this.#closed;
  }
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    if (!this.cluster.isOpen) return;
    const grace = new Promise<void>((r) => setTimeout(r, 500).unref());
    await Promise.race([this.cluster.close().catch(() => {}), grace]);
    if (this.cluster.isOpen) this.cluster.destroy();
  }
}
