import { createSentinel } from 'redis';
import type { BusRoute } from './following-invalidation-bus.ts';
import { createResilientClient, type RedisClient, reconnectBackoff } from './redis-client.ts';
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
export class SentinelTopology implements RedisTopology, BusRoute {
  readonly mode = 'sentinel';
  readonly multiKeyAnySlot = true;
  readonly sentinel: Sentinel;
  readonly #onError: (err: Error) => void;
  #connected = false;
  #closed = false;
  /** Set on a master connection error, cleared by the next reply from the master. */
  #masterDown = false;
  /** From the sentinels' own view (polled): replicas not down, and whether the master is down. */
  #polled = { replicas: 0, masterDown: false };
  readonly #poller: SentinelPoller;

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
    this.#poller = new SentinelPoller(name, sentinels, opts, (v) => {
      this.#polled = v;
    });
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
  masterNodes(): string[] {
    return ['primary'];
  }
  sendToNode(_node: string, args: string[]): Promise<unknown> {
    return this.send(undefined, args);
  }
  ping(): Promise<unknown> {
    return this.#up(this.sentinel.sendCommand(false, ['PING']));
  }
  onReady(listener: (send: (args: string[]) => Promise<unknown>) => void): void {
    // Scripts are (re)loaded by the NOSCRIPT → EVAL fallback on a new master.
    void listener;
  }
  // The L1 bus (BusRoute): classic pub/sub on the current master.
  readonly sharded = false;
  subscribeNode(): string {
    const m = this.#connected ? this.sentinel.getMasterNode() : undefined;
    return m ? `${m.host}:${m.port}` : '';
  }
  publish(channel: string, message: string): Promise<number> {
    return this.sentinel.publish(channel, message);
  }
  refresh(): void {
    // node-redis follows the sentinels itself (switch-master events, a 2 s scan).
  }

  view(): TopologyView {
    const down = !this.isReady() || this.#masterDown || this.#polled.masterDown;
    return {
      masters: 1,
      replicas: this.#polled.replicas,
      slotsWithoutMaster: down ? 1 : 0,
      slots: 1,
    };
  }
  get closed(): boolean {
    return this.#closed;
  }
  async close(): Promise<void> {
    this.#closed = true;
    this.#poller.close();
    if (!this.#connected) {
      this.sentinel.destroy().catch(() => {});
      return;
    }
    const grace = new Promise<void>((r) => setTimeout(r, 500).unref());
    await Promise.race([this.sentinel.close().catch(() => {}), grace]);
    await this.sentinel.destroy().catch(() => {});
  }
}

/**
 * Asks one sentinel at a time (the next one after a failure) every `intervalMs` for the
 * master's flags and its replicas (node-redis only tracks replicas it reads from).
 */
class SentinelPoller {
  readonly #timer: NodeJS.Timeout;
  #client: RedisClient | undefined;
  #clientSince = 0;
  #index = 0;
  #busy = false;

  constructor(
    private readonly name: string,
    private readonly sentinels: readonly SentinelAddress[],
    private readonly opts: SentinelTopologyOptions,
    private readonly report: (v: { replicas: number; masterDown: boolean }) => void,
    intervalMs = 2000,
  ) {
    this.#timer = setInterval(() => void this.#poll(), intervalMs);
    this.#timer.unref();
    void this.#poll();
  }

  async #poll(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const s = this.sentinels[this.#index % this.sentinels.length];
      if (!s) return;
      if (this.#client === undefined) {
        this.#clientSince = Date.now();
        this.#client = createResilientClient({
          url: `redis://${s.host}:${s.port}`,
          ...(this.opts.sentinelPassword === undefined
            ? {}
            : { password: this.opts.sentinelPassword }),
        });
      }
      if (!this.#client.isReady) {
        // Give a new connection a few seconds before moving on to the next sentinel.
        if (Date.now() - this.#clientSince < 3000) return;
        throw new Error('sentinel not connected');
      }
      const master = flatPairs(await this.#client.sendCommand(['SENTINEL', 'MASTER', this.name]));
      const replicas = (await this.#client.sendCommand([
        'SENTINEL',
        'REPLICAS',
        this.name,
      ])) as unknown[];
      const up = replicas
        .map(flatPairs)
        .filter((r) => !/s_down|o_down|disconnected/.test(r.flags ?? ''));
      this.report({ replicas: up.length, masterDown: /s_down|o_down/.test(master.flags ?? '') });
    } catch {
      // Try the next sentinel on the next tick.
      this.#client?.destroy();
      this.#client = undefined;
      this.#index++;
    } finally {
      this.#busy = false;
    }
  }

  close(): void {
    clearInterval(this.#timer);
    if (this.#client?.isOpen) this.#client.destroy();
  }
}

/** `[k1, v1, k2, v2, …]` (a RESP2 map) → `{k1: v1, …}`. */
function flatPairs(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}
