import { randomUUID } from 'node:crypto';
import {
  decodeInvalidation,
  encodeInvalidation,
  type Invalidation,
  type InvalidationBus,
} from './invalidation-bus.ts';
import { createResilientClient, type RedisClient } from './redis-client.ts';
import { classifyRedisError } from './redis-errors.ts';
import { fail, ok, type Result } from './result.ts';
import { TimeoutQueue } from './with-timeout.ts';

/**
 * Where the bus publishes and subscribes; implemented by `ClusterTopology` (sharded pub/sub
 * on the master of the channel's slot) and `SentinelTopology` (classic pub/sub on the
 * current master).
 */
export interface BusRoute {
  /** `host:port` to subscribe on for `channel` now; `''` while unknown (no usable master). */
  subscribeNode(channel: string): string;
  /** SPUBLISH (sharded) or PUBLISH; resolves with the number of receivers. */
  publish(channel: string, message: string): Promise<number>;
  /** SSUBSCRIBE (true) or SUBSCRIBE. */
  readonly sharded: boolean;
  readonly anyReady: boolean;
  /** Re-read the topology soon (a subscription was refused with MOVED, or moved away). */
  refresh(): void;
}

export interface FollowingInvalidationBusOptions {
  /** The topology the cache uses. Not closed by the bus. */
  readonly topology: BusRoute;
  /** Channel shared by every replica of one environment. */
  readonly channel: string;
  /** Connect the subscriber with TLS (`rediss://`), as the cache's nodes. @default false */
  readonly tls?: boolean;
  /** Password of the nodes (REDIS_PASSWORD). */
  readonly password?: string;
  /** Deadline of a publish. @default 50 */
  readonly timeoutMs?: number;
  /** How often the channel's shard is checked for a new master. @default 250 */
  readonly checkIntervalMs?: number;
  readonly onClientError?: (err: Error) => void;
}

/**
 * The L1 invalidation bus for a Redis whose master can change: Cluster and Sentinel.
 * On a Cluster it uses sharded pub/sub (Redis 7): SPUBLISH reaches only the shard of the
 * channel's slot (classic PUBLISH is broadcast to every node of the cluster), and the
 * subscriber is a plain connection to that slot's master, with SSUBSCRIBE. On Sentinel,
 * classic PUBLISH/SUBSCRIBE on the current master.
 *
 * Coherence as in `RedisInvalidationBus`: `coherent` is true only while the subscription
 * is live on the current master. When the master changes (failover, resharding of that
 * slot) or the connection drops, the bus reports incoherent (the L1 clears itself),
 * connects to the new master and subscribes again; `ready` means receiving again.
 */
export class FollowingInvalidationBus implements InvalidationBus {
  readonly origin = randomUUID();
  readonly channel: string;
  readonly #topology: BusRoute;
  readonly #opts: FollowingInvalidationBusOptions;
  readonly #timeouts: TimeoutQueue;
  readonly #timer: NodeJS.Timeout;
  readonly #handlers = new Set<(msg: Invalidation) => void>();
  readonly #coherenceListeners = new Set<(coherent: boolean) => void>();
  #sub: RedisClient | undefined;
  /** `host:port` the subscriber is connected to. */
  #subNode = '';
  #subscribed = false;
  #subscribing = false;
  #coherent = false;
  #closed: Promise<void> | undefined;

  constructor(opts: FollowingInvalidationBusOptions) {
    this.channel = opts.channel;
    this.#topology = opts.topology;
    this.#opts = opts;
    this.#timeouts = new TimeoutQueue(opts.timeoutMs ?? 50);
    this.#timer = setInterval(() => this.#follow(), opts.checkIntervalMs ?? 250);
    this.#timer.unref();
    this.#follow();
  }

  /** (Re)subscribes on the master that owns the channel's slot now. */
  #follow(): void {
    if (this.#closed) return;
    const node = this.#topology.subscribeNode(this.channel);
    if (node === this.#subNode) {
      // Same master, but the subscription was refused or taken away (slot moved): retry.
      if (this.#sub?.isReady && !this.#subscribed) this.#subscribe(this.#sub);
      return;
    }
    this.#setCoherent(false);
    this.#sub?.destroy();
    this.#sub = undefined;
    this.#subscribed = false;
    this.#subNode = node;
    if (node === '') return; // not connected yet, or no master for the slot: next tick
    const sub = createResilientClient({
      url: `${this.#opts.tls ? 'rediss' : 'redis'}://${node}`,
      ...(this.#opts.password === undefined ? {} : { password: this.#opts.password }),
      onError: (err) => {
        if (this.#sub === sub) this.#setCoherent(false);
        this.#opts.onClientError?.(err);
      },
    });
    this.#sub = sub;
    sub.on('end', () => {
      if (this.#sub === sub) this.#setCoherent(false);
    });
    // The server dropped the subscription: the channel's slot moved to another master.
    sub.on('sharded-channel-moved', () => {
      if (this.#sub !== sub) return;
      this.#subscribed = false;
      this.#setCoherent(false);
      this.#topology.refresh();
    });
    sub.on('ready', () => {
      if (this.#sub !== sub) return;
      // node-redis re-subscribes during the reconnect handshake, before `ready`.
      if (this.#subscribed) this.#setCoherent(true);
      else this.#subscribe(sub);
    });
  }

  #subscribe(sub: RedisClient): void {
    if (this.#subscribing) return;
    this.#subscribing = true;
    const listener = (raw: string) => this.#deliver(raw);
    const subscribed = this.#topology.sharded
      ? sub.sSubscribe(this.channel, listener)
      : sub.subscribe(this.channel, listener);
    subscribed
      .then(() => {
        if (this.#sub !== sub) return;
        this.#subscribed = true;
        if (sub.isReady) this.#setCoherent(true);
      })
      .catch((err: unknown) => {
        // MOVED: the slot map is stale, refresh it; #follow then moves to the new master.
        // A dropped connection: the next `ready` or #follow tries again.
        if (err instanceof Error && err.message.startsWith('MOVED')) this.#topology.refresh();
      })
      .finally(() => {
        this.#subscribing = false;
      });
  }

  get coherent(): boolean {
    return this.#coherent;
  }

  onMessage(handler: (msg: Invalidation) => void): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  onCoherence(listener: (coherent: boolean) => void): () => void {
    this.#coherenceListeners.add(listener);
    return () => this.#coherenceListeners.delete(listener);
  }

  publish(msg: Invalidation): Promise<Result<number>> {
    if (this.#closed || !this.#topology.anyReady) {
      return Promise.resolve(fail(classifyRedisError(new Error('invalidation bus not connected'))));
    }
    const sent = this.#topology.publish(this.channel, encodeInvalidation(this.origin, msg));
    return this.#timeouts.run(sent).then(
      (n) => ok(n),
      (err: unknown) => fail(classifyRedisError(err)),
    );
  }

  async ready(withinMs = 2000): Promise<boolean> {
    const deadline = Date.now() + withinMs;
    while (!this.#coherent) {
      if (this.#closed || Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      clearInterval(this.#timer);
      this.#setCoherent(false);
      if (this.#sub?.isOpen) this.#sub.destroy();
      this.#timeouts.dispose();
    })();
    return this.#closed;
  }

  #deliver(raw: string): void {
    const msg = decodeInvalidation(raw, this.origin);
    if (msg) for (const handler of this.#handlers) handler(msg);
  }

  #setCoherent(coherent: boolean): void {
    if (this.#closed && coherent) return;
    if (this.#coherent === coherent) return;
    this.#coherent = coherent;
    for (const listener of this.#coherenceListeners) listener(coherent);
  }
}
