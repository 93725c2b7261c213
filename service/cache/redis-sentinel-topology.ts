import { createSentinel } from 'redis';
import { reconnectBackoff } from './redis-client.ts';
import {
  type ConnectionOptions,
  getOrMGet,
  type RedisTopology,
  type TopologyView,
} from './redis-topology.ts';

type Sentinel = ReturnType<typeof createSentinel>;

/** `host:port` of a sentinel. */
export interface SentinelAddress {
  readonly host: string;
  readonly port: number;
}

export interface SentinelTopologyOptions extends ConnectionOptions {
  /** Password of the sentinels themselves, when they have one. */
  readonly sentinelPassword?: string;
}

/**
 * Redis Sentinel through node-redis v5's own `createSentinel`: it asks the sentinels for
 * the master of `name`, listens to their `switch-master` events and reconnects to the
 * promoted replica by itself (also after a READONLY reply or a dropped connection).
 * While no master is known its commands wait; RedisCache's deadline turns that into
 * `timeout`, and the breaker then bypasses Redis until the new master answers.
 * One node (`primary`) for the breaker and for batching: every key is on the master.
 */
export class SentinelTopology implements RedisTopology {
  readonly mode = 'sentinel';
  readonly multiKeyAnySlot = true;
  readonly sentinel: Sentinel;
  readonly #onError: (err: Error) => void;
  #connected = false;
  #closed = false;
  /** Set on a master connection error, cleared by the next reply from the master. */
  #masterDown = false;

  constructor(
    name: string,
    sentinels: readonly SentinelAddress[],
    opts: SentinelTopologyOptions = {},
  ) {
    this.#onError = opts.onError ?? (() => {});
    const socket = {
      connectTimeout: opts.connectTimeoutMs ?? 1000,
      reconnectStrategy: reconnectBackoff(opts.maxReconnectDelayMs ?? 1000),
    };
    this.sentinel = createSentinel({
      name,
      sentinelRootNodes: sentinels.map((s) => ({ host: s.host, port: s.port })),
      nodeClientOptions: {
        ...(opts.password === undefined ? {} : { password: opts.password }),
        commandsQueueMaxLength: opts.maxQueuedCommands ?? 10_000,
        socket,
      },
      sentinelClientOptions: {
        ...(opts.sentinelPassword === undefined ? {} : { password: opts.sentinelPassword }),
        socket,
      },
      masterPoolSize: 1,
      // Also re-read the topology every 2 s, in case a switch-master event was missed.
      scanInterval: 2000,
      passthroughClientErrorEvents: true,
    });
    this.sentinel.on('error', (err: unknown) => {
      this.#masterDown = true;
      this.#onError(err instanceof Error ? err : new Error(String(err)));
    });
    this.sentinel.on('client-error', () => {
      this.#masterDown = true;
    });
    void this.#connectLoop();
  }

  async #connectLoop(): Promise<void> {
    for (let attempt = 0; !this.#closed; attempt++) {
      try {
        await this.sentinel.connect();
        this.#connected = true;
        return;
      } catch (err) {
        if (err instanceof Error) this.#onError(err);
        await new Promise((r) => setTimeout(r, reconnectBackoff(1000)(attempt)).unref());
      }
    }
  }

  #up<T>(p: Promise<T>): Promise<T> {
    return p.then((v) => {
      this.#masterDown = false;
      return v;
    });
  }

  nodeOf(): string {
    return 'primary';
  }
  slotOf(): number {
    return 0;
  }
  isReady(): boolean {
    return this.#connected && this.sentinel.isReady;
  }
  get anyReady(): boolean {
    return this.isReady();
  }
  get(key: string): Promise<string | null> {
    return this.#up(this.sentinel.get(key));
  }
  mGet(keys: string[]): Promise<(string | null)[]> {
    return this.#up(this.sentinel.mGet(keys));
  }
  mGetOnNode(_node: string, keys: string[]): Promise<(string | null)[]> {
    return this.#up(getOrMGet(this.sentinel, keys));
  }
  del(key: string): Promise<number> {
    return this.#up(this.sentinel.del(key));
  }
  send(_key: string | undefined, args: string[]): Promise<unknown> {
    return this.#up(this.sentinel.sendCommand(false, args));
  }
  shardOf(): string {
    return '0';
  }
  ping(): Promise<unknown> {
    return this.#up(this.sentinel.sendCommand(false, ['PING']));
  }
  onReady(listener: (send: (args: string[]) => Promise<unknown>) => void): void {
    // Scripts are (re)loaded by the NOSCRIPT → EVAL fallback on a new master.
    void listener;
  }
  view(): TopologyView {
    const replicas = this.#connected ? this.sentinel.getReplicaNodes().size : 0;
    const down = !this.isReady() || this.#masterDown;
    return { masters: 1, replicas, slotsWithoutMaster: down ? 1 : 0, slots: 1 };
  }
  async close(): Promise<void> {
    this.#closed = true;
    if (!this.#connected) {
      this.sentinel.destroy().catch(() => {});
      return;
    }
    const grace = new Promise<void>((r) => setTimeout(r, 500).unref());
    await Promise.race([this.sentinel.close().catch(() => {}), grace]);
    await this.sentinel.destroy().catch(() => {});
  }
}
