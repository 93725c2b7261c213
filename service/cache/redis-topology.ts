import { closeClient, createResilientClient, type RedisClient } from './redis-client.ts';

/** Which Redis deployment the cache talks to (chosen by `service/config.ts`). */
export type RedisMode = 'standalone' | 'cluster' | 'sentinel';

/** The topology as the client sees it now (for `cache_redis_nodes{role}` and the alert). */
export interface TopologyView {
  /** Masters the client routes to, reachable or not. */
  readonly masters: number;
  /** Replicas known (cluster: from CLUSTER SLOTS; sentinel: from the sentinels). */
  readonly replicas: number;
  /** Of the 16384 slots (1 in standalone/sentinel), how many have no connected master. */
  readonly slotsWithoutMaster: number;
  /** Total slots the view covers: 16384 in cluster mode, 1 otherwise. */
  readonly slots: number;
}

/** Connection options shared by every mode. */
export interface ConnectionOptions {
  /** Overrides a password in the URLs (REDIS_PASSWORD from the Secret). */
  readonly password?: string;
  /** TCP connect timeout. @default 1000 */
  readonly connectTimeoutMs?: number;
  /** Cap of the reconnect back-off. @default 1000 */
  readonly maxReconnectDelayMs?: number;
  /** Commands queued per connection before new ones fail fast. @default 10000 */
  readonly maxQueuedCommands?: number;
  readonly onError?: (err: Error) => void;
}

/**
 * Where RedisCache's commands go: one node (standalone, Sentinel's current master) or
 * the node that owns a key's slot (Cluster). Routing, redirections (MOVED/ASK) and
 * failover discovery live here; deadlines, breakers and batching stay in RedisCache.
 * `node` names are bounded (a `host:port` per master, or `primary`).
 */
export interface RedisTopology {
  readonly mode: RedisMode;
  /** True when keys of different slots can share a command (MGET, Lua). */
  readonly multiKeyAnySlot: boolean;
  /** The node serving `key` now; `''` when no master owns its slot. */
  nodeOf(key: string): string;
  /** The hash slot of `key` (0 when there are no slots). */
  slotOf(key: string): number;
  /** Commands for `node` can be written now (connected, not reconnecting). */
  isReady(node: string): boolean;
  /** At least one node is usable (start-up checks, the L1 bus). */
  readonly anyReady: boolean;
  get(key: string): Promise<string | null>;
  /** Every key in one slot (Cluster) or anywhere (standalone). */
  mGet(keys: string[]): Promise<(string | null)[]>;
  /**
   * The values of `keys`, all served by `node` (a batch of gets): one MGET per slot
   * (a lone key as GET), written together on that node's connection.
   */
  mGetOnNode(node: string, keys: string[]): Promise<(string | null)[]>;
  del(key: string): Promise<number>;
  /** Any command, routed by `key` (its first key); a random node when undefined. */
  send(key: string | undefined, args: string[]): Promise<unknown>;
  /** The masters now (standalone and Sentinel: `primary`), e.g. to read INFO of each. */
  masterNodes(): string[];
  /** A command on `node` itself, not routed by key (INFO, DBSIZE, SCAN of that node). */
  sendToNode(node: string, args: string[]): Promise<unknown>;
  /** A bounded label for `node` (Cluster: master rank by lowest slot; else `0`). */
  shardOf(node: string): string;
  /** PING on `node` (the breaker's half-open probe). */
  ping(node: string): Promise<unknown>;
  /** Called whenever a connection becomes ready (e.g. to load Lua scripts). */
  onReady(listener: (send: (args: string[]) => Promise<unknown>) => void): void;
  view(): TopologyView;
  /** True once `close()` was called (its view no longer describes a Redis in use). */
  readonly closed: boolean;
  close(): Promise<void>;
}

/** One Redis: the original behaviour, one resilient auto-pipelining connection. */
export class StandaloneTopology implements RedisTopology {
  readonly mode = 'standalone';
  readonly multiKeyAnySlot = true;
  readonly client: RedisClient;
  #closed = false;

  constructor(url: string, opts: ConnectionOptions = {}) {
    this.client = createResilientClient({ url, ...opts });
  }

  nodeOf(): string {
    return 'primary';
  }
  slotOf(): number {
    return 0;
  }
  isReady(): boolean {
    return this.client.isReady;
  }
  get anyReady(): boolean {
    return this.client.isReady;
  }
  get(key: string): Promise<string | null> {
    return this.client.get(key);
  }
  mGet(keys: string[]): Promise<(string | null)[]> {
    return this.client.mGet(keys);
  }
  mGetOnNode(_node: string, keys: string[]): Promise<(string | null)[]> {
    return getOrMGet(this.client, keys);
  }
  del(key: string): Promise<number> {
    return this.client.del(key);
  }
  send(_key: string | undefined, args: string[]): Promise<unknown> {
    return this.client.sendCommand(args);
  }
  masterNodes(): string[] {
    return ['primary'];
  }
  sendToNode(_node: string, args: string[]): Promise<unknown> {
    return this.client.sendCommand(args);
  }
  shardOf(): string {
    return '0';
  }
  ping(): Promise<unknown> {
    return this.client.ping();
  }
  onReady(listener: (send: (args: string[]) => Promise<unknown>) => void): void {
    this.client.on('ready', () => listener((args) => this.client.sendCommand(args)));
  }
  view(): TopologyView {
    const up = this.client.isReady ? 1 : 0;
    return { masters: 1, replicas: 0, slotsWithoutMaster: 1 - up, slots: 1 };
  }
  get closed(): boolean {
    return this.#closed;
  }
  close(): Promise<void> {
    this.#closed = true;
    return closeClient(this.client);
  }
}

/** What `getOrMGet` needs of a connection (a client, a node client, a Sentinel). */
interface Getter {
  get(key: string): Promise<string | null>;
  mGet(keys: string[]): Promise<(string | null)[]>;
}

/** A lone key as GET (cheaper to parse), several as one MGET. */
export function getOrMGet(c: Getter, keys: string[]): Promise<(string | null)[]> {
  const first = keys[0];
  if (keys.length === 1 && first !== undefined) return c.get(first).then((v) => [v]);
  return c.mGet(keys);
}
