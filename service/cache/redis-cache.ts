import { ErrorReply } from 'redis';
import type { Cache, SetOptions } from './cache.ts';
import {
  type BreakerListener,
  type BreakerState,
  CircuitBreaker,
  type CircuitBreakerOptions,
} from './circuit-breaker.ts';
import { type Clock, systemClock } from './clock.ts';
import { GetBatcher } from './get-batcher.ts';
import { closeClient, createResilientClient, type RedisClient } from './redis-client.ts';
import { classifyRedisError, isAvailabilityError } from './redis-errors.ts';
import { INVALIDATE_TAG, type LuaScript, SET_WITH_TAGS } from './redis-scripts.ts';
import { exceedsBytes, jitteredTtl, parseReply, serialize } from './redis-values.ts';
import { CacheError, fail, ok, type Result } from './result.ts';
import { TimeoutQueue } from './with-timeout.ts';

/** Default `ttlJitterRatio`: TTLs are stretched by a random 0–10 %. */
export const REDIS_TTL_JITTER = 0.1;

export interface RedisCacheOptions {
  /** e.g. `redis://127.0.0.1:6379` (validated by `service/config.ts`). */
  readonly url: string;
  /** Namespace of every key, one per environment, e.g. `metasheet:staging:`. Non-empty. */
  readonly keyPrefix: string;
  /** Deadline of each operation; past it the op resolves with error `timeout`. @default 50 */
  readonly timeoutMs?: number;
  /** Largest serialised value (UTF-8 bytes) that is stored. @default 524288 (512 KiB) */
  readonly maxValueBytes?: number;
  /** TTLs are stretched by a random 0..ratio so keys written together expire apart. @default 0.1 */
  readonly ttlJitterRatio?: number;
  /** @default { failureThreshold: 5, cooldownMs: 1000 } */
  readonly breaker?: Omit<CircuitBreakerOptions, 'clock'>;
  /** TCP connect timeout. @default 1000 */
  readonly connectTimeoutMs?: number;
  /** Cap of the reconnect back-off. @default 1000 */
  readonly maxReconnectDelayMs?: number;
  /** Commands queued in the client (written + awaiting reply) before ops fail fast. @default 10000 */
  readonly maxQueuedCommands?: number;
  /**
   * Most GETs sent as one MGET. Concurrent gets within one event-loop turn are batched;
   * 1 sends every get on its own. Needs a single Redis (not Cluster: keys may span slots).
   * @default 512
   */
  readonly maxGetBatch?: number;
  /** Called with every client error (they are also returned as Results); e.g. a rate-limited log. */
  readonly onClientError?: (err: Error) => void;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: () => number;
}

/** What `/internal/cache` can show about the Redis layer. */
export interface RedisCacheStatus {
  readonly connected: boolean;
  readonly breaker: BreakerState;
  readonly consecutiveFailures: number;
  readonly lastClientError: string | undefined;
}

/**
 * The Redis implementation of `Cache` on node-redis v5 (one auto-pipelining connection).
 *
 * Every op resolves to a Result within `timeoutMs`: it never throws and never waits for
 * a reconnect (the offline queue is disabled, so ops fail fast with `connection` while
 * the client reconnects in the background). A circuit breaker stops touching Redis after
 * repeated `timeout`/`connection` failures and lets a probe through after a cool-down.
 * Keys are `<prefix>v:<key>`, tag sets `<prefix>t:<tag>`.
 */
export class RedisCache implements Cache {
  readonly impl = 'redis';
  readonly keyPrefix: string;
  readonly maxValueBytes: number;
  readonly #client: RedisClient;
  readonly #breaker: CircuitBreaker;
  readonly #timeouts: TimeoutQueue;
  readonly #jitter: number;
  readonly #random: () => number;
  readonly #batcher: GetBatcher | undefined;
  #lastClientError: string | undefined;
  #closed: Promise<void> | undefined;

  constructor(opts: RedisCacheOptions) {
    if (opts.keyPrefix.length === 0) throw new RangeError('keyPrefix must not be empty');
    const clock = opts.clock ?? systemClock;
    this.keyPrefix = opts.keyPrefix;
    this.maxValueBytes = opts.maxValueBytes ?? 512 * 1024;
    this.#jitter = opts.ttlJitterRatio ?? REDIS_TTL_JITTER;
    this.#random = opts.random ?? Math.random;
    const maxBatch = opts.maxGetBatch ?? 512;
    this.#batcher = maxBatch > 1 ? new GetBatcher(maxBatch, (keys) => this.#mget(keys)) : undefined;
    this.#breaker = new CircuitBreaker({ ...opts.breaker, clock });
    this.#timeouts = new TimeoutQueue(opts.timeoutMs ?? 50, clock);
    // Probe on our own when half-open: without traffic the circuit (and its gauge) would
    // otherwise stay half-open until the next request.
    this.#breaker.onStateChange((state) => {
      if (state !== 'half_open') return;
      queueMicrotask(() => {
        void this.#call(
          () => this.#client.ping(),
          () => STORED,
        );
      });
    });
    this.#client = createResilientClient({
      url: opts.url,
      connectTimeoutMs: opts.connectTimeoutMs,
      maxReconnectDelayMs: opts.maxReconnectDelayMs,
      maxQueuedCommands: opts.maxQueuedCommands,
      onError: (err) => {
        this.#lastClientError = err.message;
        opts.onClientError?.(err);
      },
    });
    // Load the scripts on every (re)connect, ahead of any EVALSHA on this connection, so a
    // burst of tagged writes does not turn into a burst of NOSCRIPT round trips.
    this.#client.on('ready', () => {
      for (const script of [SET_WITH_TAGS, INVALIDATE_TAG]) {
        this.#client.sendCommand(['SCRIPT', 'LOAD', script.source]).catch(() => {});
      }
    });
  }

  /** Current breaker state; `open`/`half_open` mean the cache is being bypassed. */
  get breakerState(): BreakerState {
    return this.#breaker.state;
  }

  /** Subscribes to breaker transitions (e.g. to set `cache_circuit_open{impl}`); returns unsubscribe. */
  onBreakerStateChange(listener: BreakerListener): () => void {
    return this.#breaker.onStateChange(listener);
  }

  get status(): RedisCacheStatus {
    return {
      connected: this.#client.isReady,
      breaker: this.#breaker.state,
      consecutiveFailures: this.#breaker.consecutiveFailures,
      lastClientError: this.#lastClientError,
    };
  }

  /** Resolves `ok(true)` once connected, or a `connection` error after `withinMs` (for start-up checks). */
  async ready(withinMs = 2000): Promise<Result<true>> {
    const deadline = Date.now() + withinMs;
    while (!this.#client.isReady) {
      if (this.#closed || Date.now() >= deadline) {
        const why = this.#lastClientError ?? 'not connected';
        return fail(new CacheError('connection', `Redis not ready after ${withinMs} ms: ${why}`));
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return ok(true);
  }

  get<T = unknown>(key: string): Promise<Result<T | undefined>> {
    const vkey = this.#valueKey(key);
    const batcher = this.#batcher;
    if (batcher === undefined) return this.#call(() => this.#client.get(vkey), parseReply<T>);
    return new Promise((resolve) => {
      batcher.add(vkey, (r) => resolve(r.ok ? parseReply<T>(r.value) : r));
    });
  }

  set<T = unknown>(key: string, value: T, opts: SetOptions): Promise<Result<boolean>> {
    if (!(opts.ttlMs > 0) || !Number.isFinite(opts.ttlMs)) {
      return Promise.resolve(
        fail(new CacheError('internal', `ttlMs must be > 0, got ${opts.ttlMs}`)),
      );
    }
    const serialized = serialize(value);
    if (!serialized.ok) return Promise.resolve(serialized);
    const json = serialized.value;
    const vkey = this.#valueKey(key);
    if (exceedsBytes(json, this.maxValueBytes)) {
      // Drop the previous value too: keeping it would serve data the caller just replaced.
      const tooLarge = fail<boolean>(
        new CacheError('value_too_large', `value of ${key} exceeds ${this.maxValueBytes} bytes`),
      );
      return this.#call(
        () => this.#client.del(vkey),
        () => tooLarge,
      ).then(() => tooLarge);
    }
    const ttl = String(jitteredTtl(opts.ttlMs, this.#jitter, this.#random));
    const tags = opts.tags ?? [];
    if (tags.length === 0) {
      return this.#call(() => this.#client.sendCommand(['SET', vkey, json, 'PX', ttl]), stored);
    }
    const keys = [vkey, ...tags.map((t) => this.#tagKey(t))];
    return this.#call(() => this.#eval(SET_WITH_TAGS, keys, [json, ttl]), stored);
  }

  del(key: string): Promise<Result<boolean>> {
    return this.#call(
      () => this.#client.del(this.#valueKey(key)),
      (n) => ok(n > 0),
    );
  }

  invalidateTag(tag: string): Promise<Result<number>> {
    return this.invalidateTagKeys(tag).then((r) => (r.ok ? ok(r.value.removed) : r));
  }

  /**
   * `invalidateTag` that also names the keys the tag held (some may have expired already):
   * an L1 publishes them so other replicas drop exactly those keys.
   */
  invalidateTagKeys(tag: string): Promise<Result<{ removed: number; keys: string[] }>> {
    const strip = this.#valueKey('').length;
    return this.#call(
      () => this.#eval(INVALIDATE_TAG, [this.#tagKey(tag)], []),
      (reply) => {
        const [removed, ...members] = reply as [number, ...string[]];
        return ok({ removed: Number(removed), keys: members.map((m) => m.slice(strip)) });
      },
    );
  }

  close(): Promise<void> {
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    this.#breaker.dispose();
    await closeClient(this.#client);
    this.#timeouts.dispose();
  }

  /**
   * One batch of gets: one deadline and one breaker decision for all of them; a lone key
   * goes as GET, several as MGET.
   */
  #mget(keys: string[]): Promise<Result<(string | null)[]>> {
    const first = keys[0];
    if (keys.length === 1 && first !== undefined) {
      return this.#call(
        () => this.#client.get(first),
        (r) => ok([r]),
      );
    }
    return this.#call(
      () => this.#client.mGet(keys),
      (r) => ok(r),
    );
  }

  /**
   * Breaker gate + readiness check + deadline + error mapping, shared by every op. `map`
   * turns the reply into the op's Result in the same continuation (one promise hop: this
   * path runs ~10^5 times per second under load).
   */
  #call<R, V>(send: () => Promise<R>, map: (reply: R) => Result<V>): Promise<Result<V>> {
    if (this.#closed) return Promise.resolve(fail(new CacheError('connection', 'cache closed')));
    if (!this.#breaker.tryAcquire()) {
      return Promise.resolve(fail(new CacheError('circuit_open', 'Redis circuit open')));
    }
    if (!this.#client.isReady)
      return Promise.resolve(this.#failed(new Error('Redis not connected')));
    let pending: Promise<R>;
    try {
      pending = send();
    } catch (err) {
      return Promise.resolve(this.#failed(err));
    }
    return this.#timeouts.run(pending).then(
      (reply) => {
        this.#breaker.success();
        return map(reply);
      },
      (err: unknown) => this.#failed(err),
    );
  }

  #failed<R>(err: unknown): Result<R> {
    const error = classifyRedisError(err);
    // A server error reply still proves Redis is reachable.
    if (isAvailabilityError(error)) this.#breaker.failure();
    else this.#breaker.success();
    return fail(error);
  }

  async #eval(
    script: LuaScript,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.#client.sendCommand(['EVALSHA', script.sha1, ...tail]);
    } catch (err) {
      if (!(err instanceof ErrorReply) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.#client.sendCommand(['EVAL', script.source, ...tail]);
    }
  }

  #valueKey(key: string): string {
    return `${this.keyPrefix}v:${key}`;
  }

  #tagKey(tag: string): string {
    return `${this.keyPrefix}t:${tag}`;
  }
}

const STORED: Result<boolean> = Object.freeze(ok(true));
const stored = (): Result<boolean> => STORED;
