import { randomUUID } from 'node:crypto';
import { createResilientClient, type RedisClient } from './redis-client.ts';
import { classifyRedisError } from './redis-errors.ts';
import { fail, ok, type Result } from './result.ts';
import { TimeoutQueue } from './with-timeout.ts';

/** "Drop these keys / every key with these tags from your L1". */
export interface Invalidation {
  readonly keys?: readonly string[];
  readonly tags?: readonly string[];
}

/** What the L1 needs from a bus (RedisInvalidationBus here; an in-memory one in unit tests). */
export interface InvalidationBus {
  /** True while every message published by others from now on will be delivered. */
  readonly coherent: boolean;
  onMessage(handler: (msg: Invalidation) => void): () => void;
  onCoherence(listener: (coherent: boolean) => void): () => void;
  publish(msg: Invalidation): Promise<Result<number>>;
  close(): Promise<void>;
}

export interface RedisInvalidationBusOptions {
  readonly url: string;
  /** Overrides a password in `url` (REDIS_PASSWORD). */
  readonly password?: string;
  /** Pub/sub channel shared by every replica of one environment, e.g. `metasheet:staging:l1`. */
  readonly channel: string;
  /** Deadline of a publish. @default 50 */
  readonly timeoutMs?: number;
  /** @default 1000 */
  readonly maxReconnectDelayMs?: number;
  readonly onClientError?: (err: Error) => void;
}

/** The message on the channel: sender, keys, tags (one format for every bus). */
interface Wire {
  readonly o: string;
  readonly k?: readonly string[];
  readonly t?: readonly string[];
}

/** `msg` from replica `origin` as the channel carries it. */
export function encodeInvalidation(origin: string, msg: Invalidation): string {
  const wire: Wire = { o: origin, k: msg.keys, t: msg.tags };
  return JSON.stringify(wire);
}

/** The invalidation in `raw`, or undefined when it is not one or `self` sent it. */
export function decodeInvalidation(raw: string, self: string): Invalidation | undefined {
  let wire: Wire;
  try {
    wire = JSON.parse(raw) as Wire;
  } catch {
    return undefined; // not ours; nothing to invalidate
  }
  if (wire.o === self) return undefined;
  return { keys: wire.k ?? [], tags: wire.t ?? [] };
}

/**
 * Redis pub/sub between replicas for L1 invalidation: one connection publishes, one
 * subscribes (a subscribed RESP2 connection can do nothing else).
 *
 * `coherent` is true only while the subscription is live. Messages published while it
 * is not are lost for this replica, so every loss and every regain is reported through
 * `onCoherence` and the L1 drops everything it holds. node-redis resubscribes during the
 * reconnect handshake, before `ready`, so `ready` means "receiving again".
 */
export class RedisInvalidationBus implements InvalidationBus {
  /** This replica's id; its own messages are not delivered back to it. */
  readonly origin = randomUUID();
  readonly channel: string;
  readonly #pub: RedisClient;
  readonly #sub: RedisClient;
  readonly #timeouts: TimeoutQueue;
  readonly #handlers = new Set<(msg: Invalidation) => void>();
  readonly #coherenceListeners = new Set<(coherent: boolean) => void>();
  #subscribed = false;
  #subscribing = false;
  #coherent = false;
  #closed: Promise<void> | undefined;

  constructor(opts: RedisInvalidationBusOptions) {
    this.channel = opts.channel;
    this.#timeouts = new TimeoutQueue(opts.timeoutMs ?? 50);
    const options = {
      url: opts.url,
      maxReconnectDelayMs: opts.maxReconnectDelayMs,
      ...(opts.password === undefined ? {} : { password: opts.password }),
    };
    this.#pub = createResilientClient({ ...options, onError: (err) => opts.onClientError?.(err) });
    this.#sub = createResilientClient({
      ...options,
      onError: (err) => {
        this.#setCoherent(false);
        opts.onClientError?.(err);
      },
    });
    this.#sub.on('end', () => this.#setCoherent(false));
    this.#sub.on('ready', () => {
      if (this.#subscribed) this.#setCoherent(true);
      else this.#subscribe();
    });
  }

  /**
   * First subscription, retried on the next `ready` if it fails; after it succeeds
   * node-redis re-subscribes by itself during every reconnect handshake.
   */
  #subscribe(): void {
    if (this.#subscribing) return;
    this.#subscribing = true;
    this.#sub
      .subscribe(this.channel, (raw) => this.#deliver(raw))
      .then(() => {
        this.#subscribed = true;
        if (this.#sub.isReady) this.#setCoherent(true);
      })
      .catch(() => {})
      .finally(() => {
        this.#subscribing = false;
      });
  }

  get coherent(): boolean {
    return this.#coherent;
  }

  /** Registers the handler of messages from other replicas; returns unsubscribe. */
  onMessage(handler: (msg: Invalidation) => void): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  /** Called with `false` when messages may have been missed, `true` when live again. */
  onCoherence(listener: (coherent: boolean) => void): () => void {
    this.#coherenceListeners.add(listener);
    return () => this.#coherenceListeners.delete(listener);
  }

  /** Publishes to the other replicas; `ok(n)` with the number of subscribers that got it. */
  publish(msg: Invalidation): Promise<Result<number>> {
    if (this.#closed || !this.#pub.isReady) {
      return Promise.resolve(fail(classifyRedisError(new Error('invalidation bus not connected'))));
    }
    return this.#timeouts
      .run(this.#pub.publish(this.channel, encodeInvalidation(this.origin, msg)))
      .then(
        (n) => ok(n),
        (err: unknown) => fail(classifyRedisError(err)),
      );
  }

  /** Resolves `true` once subscribed, `false` after `withinMs` (start-up checks, tests). */
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
      this.#setCoherent(false);
      for (const c of [this.#pub, this.#sub]) if (c.isOpen) c.destroy();
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
