import { ErrorReply } from 'redis';
import { createRedactor, type Redactor, urlSecrets } from '../redact.ts';
import type { BreakerView } from './breaker-view.ts';
import type { Cache, CacheSize, SetOptions } from './cache.ts';
import {
  type BreakerListener,
  type BreakerState,
  CircuitBreaker,
  type CircuitBreakerOptions,
} from './circuit-breaker.ts';
import { type Clock, systemClock } from './clock.ts';
import { clusterTagKeys, slotHashTag } from './cluster-tags.ts';
import { GetBatcher } from './get-batcher.ts';
import { classifyRedisError, opensBreaker } from './redis-errors.ts';
import {
  INVALIDATE_TAG,
  type LuaScript,
  REGISTER_TAG_SLOT,
  SET_MANY,
  SET_WITH_TAGS,
} from './redis-scripts.ts';
import { type PatternSize, RedisSizeProbe, type RedisSizeSnapshot } from './redis-size.ts';
import { type RedisTopology, StandaloneTopology } from './redis-topology.ts';
import { exceedsBytes, jitteredTtl, parseReply, serialize } from './redis-values.ts';
import { CacheError, type CacheErrorType, fail, ok, type Result } from './result.ts';
import { type PendingSet, SetBatcher } from './set-batcher.ts';
import { TimeoutQueue } from './with-timeout.ts';

/** Default `ttlJitterRatio`: TTLs are stretched by a random 0–10 %. */
export const REDIS_TTL_JITTER = 0.1;

export interface RedisCacheOptions {
  /** e.g. `redis://127.0.0.1:6379` (validated by `service/config.ts`); ignored with `topology`. */
  readonly url?: string;
  /**
   * Cluster or Sentinel (see `redis-connect.ts`); the cache owns it and closes it.
   * @default a StandaloneTopology on `url`
   */
  readonly topology?: RedisTopology;
  /** Namespace of every key, one per environment, e.g. `metasheet:staging:`. Non-empty. */
  readonly keyPrefix: string;
  /** Overrides a password in `url` (standalone; a topology brings its own). */
  readonly password?: string;
  /**
   * Secrets to scrub from client error messages shown in `status`, besides the ones in
   * `url` and `password` (e.g. REDIS_PASSWORD when a `topology` is given).
   */
  readonly secrets?: readonly string[];
  /** Deadline of each operation; past it the op resolves with error `timeout`. @default 50 */
  readonly timeoutMs?: number;
  /** Largest serialised value (UTF-8 bytes) that is stored. @default 524288 (512 KiB) */
  readonly maxValueBytes?: number;
  /** TTLs are stretched by a random 0..ratio so keys written together expire apart. @default 0.1 */
  readonly ttlJitterRatio?: number;
  /** One breaker per node (Cluster: per master). @default { failureThreshold: 5, cooldownMs: 1000 } */
  readonly breaker?: Omit<CircuitBreakerOptions, 'clock'>;
  /** TCP connect timeout. @default 1000 */
  readonly connectTimeoutMs?: number;
  /** Cap of the reconnect back-off. @default 1000 */
  readonly maxReconnectDelayMs?: number;
  /** Commands queued in the client (written + awaiting reply) before ops fail fast. @default 10000 */
  readonly maxQueuedCommands?: number;
  /**
   * Most GETs sent as one MGET. Concurrent gets within one event-loop turn are batched
   * (Cluster: one MGET per slot, MGET cannot span slots); 1 sends every get on its own.
   * @default 512
   */
  readonly maxGetBatch?: number;
  /**
   * Most sets sent as one batch (standalone and Sentinel): concurrent sets within one
   * event-loop turn go as one script call (`SET_MANY`), each write atomic with its tags and
   * reported on its own; 1 sends every set on its own (SET, or the tagged-set script).
   * Cluster: every set on its own. Small batches keep several script calls in flight, so
   * Redis runs one while the next is built (1,000 sets in flight: 32 did 0.92–1.10 × raw
   * SET over three runs, 256 did 0.69–1.49). @default 32
   */
  readonly maxSetBatch?: number;
  /** Called with every client error (they are also returned as Results); e.g. a rate-limited log. */
  readonly onClientError?: (err: Error) => void;
  /** Called with every failed op and the node it was for (e.g. a per-shard error counter). */
  readonly onNodeError?: (node: string, error: CacheError) => void;
  /** Called with every failed operation except `circuit_open` refusals (e.g. to log `auth`/`oom`). */
  readonly onOpError?: (err: CacheError) => void;
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
  /** Type of the last failed operation (not `circuit_open`), e.g. `auth`, `oom`, `timeout`. */
  readonly lastErrorType: CacheErrorType | undefined;
  readonly lastClientError: string | undefined;
}

/** The breaker view before any node has a breaker (nothing has failed yet). */
const NO_BREAKER: BreakerView = Object.freeze({
  state: 'closed',
  lastErrorType: undefined,
  consecutiveFailures: 0,
  msSinceLastFailure: undefined,
  refused: 0,
});

/**
 * The Redis implementation of `Cache` on node-redis v5: one Redis, a Sentinel group or a
 * Cluster, behind a `RedisTopology` (auto-pipelining connections either way).
 *
 * Every op resolves to a Result within `timeoutMs`: it never throws and never waits for
 * a reconnect (the offline queue is disabled, so ops fail fast with `connection` while
 * the client reconnects in the background). A circuit breaker per node stops touching
 * that node after repeated `timeout`/`connection` failures and lets a probe through after
 * a cool-down; in a Cluster one bad shard does not bypass the healthy ones.
 * Keys are `<prefix>v:<key>`; tag sets `<prefix>t:<tag>` (Cluster: per slot, see
 * `cluster-tags.ts`).
 */
export class RedisCache implements Cache {
  readonly impl = 'redis';
  readonly keyPrefix: string;
  readonly maxValueBytes: number;
  readonly topology: RedisTopology;
  readonly #breakerOptions: CircuitBreakerOptions;
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #breakerListeners = new Set<BreakerListener>();
  #aggregateState: BreakerState = 'closed';
  readonly #timeouts: TimeoutQueue;
  readonly #jitter: number;
  readonly #random: () => number;
  readonly #maxBatch: number;
  readonly #batchers = new Map<string, GetBatcher>();
  /** 1 (or a Cluster): sets are not batched. */
  readonly #maxSetBatch: number;
  readonly #setBatchers = new Map<string, SetBatcher>();
  /** `<prefix>v:` and `<prefix>t:`, built once. */
  readonly #valuePrefix: string;
  readonly #tagPrefix: string;
  readonly #onNodeError: ((node: string, error: CacheError) => void) | undefined;
  /** Scrubs the credentials (URL, password) from messages shown in `status` (/internal/cache). */
  readonly #redact: Redactor;
  #lastClientError: string | undefined;
  #lastErrorType: CacheErrorType | undefined;
  /** Why ops fail while a node is not ready: the class of the last client error (`auth` after WRONGPASS). */
  #notReadyType: CacheErrorType = 'connection';
  readonly #onOpError: ((err: CacheError) => void) | undefined;
  #closed: Promise<void> | undefined;
  /** One size probe per master (standalone and Sentinel: one). */
  readonly #sizeProbes = new Map<string, RedisSizeProbe>();

  constructor(opts: RedisCacheOptions) {
    if (opts.keyPrefix.length === 0) throw new RangeError('keyPrefix must not be empty');
    const clock = opts.clock ?? systemClock;
    this.#redact = createRedactor([
      ...urlSecrets(opts.url ?? ''),
      ...(opts.password === undefined ? [] : [opts.password]),
      ...(opts.secrets ?? []),
    ]);
    this.#onOpError = opts.onOpError;
    this.keyPrefix = opts.keyPrefix;
    this.maxValueBytes = opts.maxValueBytes ?? 512 * 1024;
    this.#jitter = opts.ttlJitterRatio ?? REDIS_TTL_JITTER;
    this.#random = opts.random ?? Math.random;
    this.#maxBatch = opts.maxGetBatch ?? 512;
    this.#maxSetBatch = opts.maxSetBatch ?? 32;
    if (!(this.#maxSetBatch >= 1)) {
      throw new RangeError(`maxSetBatch must be >= 1, got ${this.#maxSetBatch}`);
    }
    this.#valuePrefix = `${opts.keyPrefix}v:`;
    this.#tagPrefix = `${opts.keyPrefix}t:`;
    this.#onNodeError = opts.onNodeError;
    this.#breakerOptions = { ...opts.breaker, clock };
    this.#timeouts = new TimeoutQueue(opts.timeoutMs ?? 50, clock);
    const onError = (err: Error) => {
      this.noteClientError(err);
      opts.onClientError?.(err);
    };
    if (opts.topology) {
      // Its client errors go to whoever built it, who passes them on to noteClientError.
      this.topology = opts.topology;
    } else {
      if (opts.url === undefined) throw new RangeError('RedisCache needs url or topology');
      this.topology = new StandaloneTopology(opts.url, {
        ...(opts.password === undefined ? {} : { password: opts.password }),
        connectTimeoutMs: opts.connectTimeoutMs,
        maxReconnectDelayMs: opts.maxReconnectDelayMs,
        maxQueuedCommands: opts.maxQueuedCommands,
        onError,
      });
    }
    if (!this.topology.multiKeyAnySlot && /[{}]/.test(this.keyPrefix)) {
      // A brace in the prefix would become every key's hash tag: one slot for everything.
      throw new RangeError('keyPrefix must not contain { or } in Cluster mode');
    }
    // Load the scripts on every (re)connect, ahead of any EVALSHA on this connection, so a
    // burst of tagged writes does not turn into a burst of NOSCRIPT round trips.
    this.topology.onReady((send) => {
      this.#notReadyType = 'connection';
      for (const script of [SET_WITH_TAGS, SET_MANY, INVALIDATE_TAG, REGISTER_TAG_SLOT]) {
        send(['SCRIPT', 'LOAD', script.source]).catch(() => {});
      }
    });
  }

  /**
   * The worst breaker state over all nodes (`open` if any is open); `open`/`half_open`
   * mean the cache is being bypassed for some keys.
   */
  get breakerState(): BreakerState {
    return this.#aggregateState;
  }

  /**
   * Records a client (connection) error: shown redacted in `status`, and a failed
   * handshake (WRONGPASS) makes ops on a node that is not ready fail as `auth`, not as a
   * generic `connection` error. Called by the cache's own standalone client; whoever
   * builds a `topology` passes its client errors here (see `build-redis.ts`).
   */
  noteClientError(err: Error): void {
    this.#lastClientError = this.#redact(err.message);
    const type = classifyRedisError(err).type;
    this.#notReadyType = type === 'auth' ? 'auth' : 'connection';
  }

  /**
   * The breakers as one view for /health and /internal/cache: the worst state over all
   * nodes, the most consecutive failures of any node, the last error type and time of the
   * node that failed last, and the refusals of all nodes together.
   */
  get breaker(): BreakerView {
    if (this.#breakers.size === 0) return NO_BREAKER;
    let consecutiveFailures = 0;
    let refused = 0;
    let last: CircuitBreaker | undefined;
    for (const b of this.#breakers.values()) {
      consecutiveFailures = Math.max(consecutiveFailures, b.consecutiveFailures);
      refused += b.refused;
      const since = b.msSinceLastFailure;
      if (
        since !== undefined &&
        (last === undefined || since < (last.msSinceLastFailure ?? Infinity))
      ) {
        last = b;
      }
    }
    return {
      state: this.#aggregateState,
      lastErrorType: last?.lastErrorType,
      consecutiveFailures,
      msSinceLastFailure: last?.msSinceLastFailure,
      refused,
    };
  }

  /** Type of the last failed operation (not `circuit_open`); `undefined` before any. */
  get lastErrorType(): CacheErrorType | undefined {
    return this.#lastErrorType;
  }

  /** Subscribes to transitions of `breakerState` (e.g. `cache_circuit_open{impl}`); returns unsubscribe. */
  onBreakerStateChange(listener: BreakerListener): () => void {
    this.#breakerListeners.add(listener);
    return () => this.#breakerListeners.delete(listener);
  }

  get status(): RedisCacheStatus {
    let failures = 0;
    for (const b of this.#breakers.values()) failures = Math.max(failures, b.consecutiveFailures);
    return {
      connected: this.topology.anyReady,
      breaker: this.#aggregateState,
      consecutiveFailures: failures,
      lastErrorType: this.#lastErrorType,
      lastClientError: this.#lastClientError,
    };
  }

  /** `readSize`, for the size gauges. */
  async size(patternOf: (key: string) => string): Promise<CacheSize> {
    return { redis: { snapshot: await this.readSize(patternOf) } };
  }

  /**
   * Memory and keys of this cache in Redis, read at scrape time (never per request; see
   * `RedisSizeProbe`). Bypasses the breakers: it reports whether Redis answers at all.
   * Cluster: every master is read and the figures summed (`up` only when all answered).
   */
  async readSize(patternOf: (key: string) => string): Promise<RedisSizeSnapshot | undefined> {
    const nodes = this.topology.masterNodes();
    for (const n of this.#sizeProbes.keys()) if (!nodes.includes(n)) this.#sizeProbes.delete(n);
    const snaps = await Promise.all(
      nodes.map((node) => {
        let probe = this.#sizeProbes.get(node);
        if (probe === undefined) {
          probe = new RedisSizeProbe({
            keyPrefix: this.keyPrefix,
            send: (args) =>
              this.#closed || !this.topology.isReady(node)
                ? Promise.reject(new Error('Redis not connected'))
                : this.topology.sendToNode(node, args),
          });
          this.#sizeProbes.set(node, probe);
        }
        return probe.read(patternOf);
      }),
    );
    return sumSnapshots(snaps);
  }

  /** Resolves `ok(true)` once connected, or a `connection` error after `withinMs` (for start-up checks). */
  async ready(withinMs = 2000): Promise<Result<true>> {
    const deadline = Date.now() + withinMs;
    while (!this.topology.anyReady) {
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
    const max = this.maxValueBytes;
    if (this.#maxBatch <= 1) {
      return this.#call(
        this.topology.nodeOf(vkey),
        () => this.topology.get(vkey),
        (reply) => parseReply<T>(reply, max),
      );
    }
    // Batched by the caller's key (the prefix is added when the batch goes): a hot key
    // asked for again in this turn costs one Map lookup of a string it has hashed before.
    const batcher = this.#batcherFor(this.topology.nodeOf(vkey));
    return new Promise((resolve) => {
      batcher.read(key, (r, i) => resolve(r.ok ? parseReply<T>(r.value[i] ?? null, max) : r));
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
    const node = this.topology.nodeOf(vkey);
    if (exceedsBytes(json, this.maxValueBytes)) {
      // Drop the previous value too: keeping it would serve data the caller just replaced.
      const tooLarge = fail<boolean>(
        new CacheError('value_too_large', `value of ${key} exceeds ${this.maxValueBytes} bytes`),
      );
      return this.#call(
        node,
        () => this.topology.del(vkey),
        () => tooLarge,
      ).then(() => tooLarge);
    }
    const ttl = String(jitteredTtl(opts.ttlMs, this.#jitter, this.#random));
    const tags = opts.tags ?? [];
    if (this.#maxSetBatch > 1 && this.topology.multiKeyAnySlot) {
      const tagKeys = tags.length === 0 ? NO_KEYS : tags.map((t) => this.#tagKey(t));
      const batcher = this.#setBatcherFor(node);
      return new Promise((resolve) => batcher.add({ key: vkey, json, ttl, tagKeys }, resolve));
    }
    if (tags.length === 0) {
      return this.#call(
        node,
        () => this.topology.send(vkey, ['SET', vkey, json, 'PX', ttl]),
        stored,
      );
    }
    if (this.topology.multiKeyAnySlot) {
      const keys = [vkey, ...tags.map((t) => this.#tagKey(t))];
      return this.#call(node, () => this.#eval(SET_WITH_TAGS, keys, [json, ttl]), stored);
    }
    return this.#setTaggedInCluster(vkey, node, json, ttl, tags);
  }

  /** Registry first (so a concurrent invalidateTag finds the slot), then value + per-slot sets. */
  async #setTaggedInCluster(
    vkey: string,
    node: string,
    json: string,
    ttl: string,
    tags: readonly string[],
  ): Promise<Result<boolean>> {
    const slot = this.topology.slotOf(vkey);
    const hashTag = slotHashTag(slot);
    const registered = await Promise.all(
      tags.map((tag) => {
        const reg = clusterTagKeys.registry(this.keyPrefix, tag);
        return this.#call(
          this.topology.nodeOf(reg),
          () => this.#eval(REGISTER_TAG_SLOT, [reg], [hashTag, ttl]),
          stored,
        );
      }),
    );
    const failed = registered.find((r) => !r.ok);
    if (failed) return failed;
    const keys = [vkey, ...tags.map((t) => clusterTagKeys.perSlot(this.keyPrefix, slot, t))];
    return this.#call(node, () => this.#eval(SET_WITH_TAGS, keys, [json, ttl]), stored);
  }

  del(key: string): Promise<Result<boolean>> {
    const vkey = this.#valueKey(key);
    return this.#call(
      this.topology.nodeOf(vkey),
      () => this.topology.del(vkey),
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
    if (!this.topology.multiKeyAnySlot) return this.#invalidateInCluster(tag);
    return this.#invalidateTagSet(this.#tagKey(tag));
  }

  #invalidateTagSet(setKey: string): Promise<Result<{ removed: number; keys: string[] }>> {
    const strip = this.#valueKey('').length;
    return this.#call(
      this.topology.nodeOf(setKey),
      () => this.#eval(INVALIDATE_TAG, [setKey], []),
      (reply) => {
        const [removed, ...members] = reply as [number, ...string[]];
        return ok({ removed: Number(removed), keys: members.map((m) => m.slice(strip)) });
      },
    );
  }

  /** Every slot the registry lists, emptied atomically slot by slot (see `cluster-tags.ts`). */
  async #invalidateInCluster(tag: string): Promise<Result<{ removed: number; keys: string[] }>> {
    const reg = clusterTagKeys.registry(this.keyPrefix, tag);
    const slots = await this.#call(
      this.topology.nodeOf(reg),
      () => this.topology.send(reg, ['SMEMBERS', reg]),
      (r) => ok(r as string[]),
    );
    if (!slots.ok) return slots;
    const parts = await Promise.all(
      slots.value.map((h) =>
        this.#invalidateTagSet(clusterTagKeys.perSlotFromHashTag(this.keyPrefix, h, tag)),
      ),
    );
    let removed = 0;
    const keys: string[] = [];
    for (const p of parts) {
      if (!p.ok) return p;
      removed += p.value.removed;
      keys.push(...p.value.keys);
    }
    return ok({ removed, keys });
  }

  close(): Promise<void> {
    // Sets still waiting for the end of this turn go out first, as they did when every
    // set was sent at once.
    if (this.#closed === undefined) for (const b of this.#setBatchers.values()) b.flush();
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    for (const b of this.#breakers.values()) b.dispose();
    await this.topology.close();
    this.#timeouts.dispose();
  }

  /** One batcher per node: the gets of one turn for one node share a breaker decision and a deadline. */
  #batcherFor(node: string): GetBatcher {
    let b = this.#batchers.get(node);
    if (b === undefined) {
      const prefix = this.#valuePrefix;
      b = new GetBatcher(this.#maxBatch, (keys) =>
        this.#call(
          node,
          () =>
            this.topology.mGetOnNode(
              node,
              keys.map((k) => prefix + k),
            ),
          (r) => ok(r),
        ),
      );
      this.#batchers.set(node, b);
    }
    return b;
  }

  /** One set batcher per node (standalone and Sentinel: one). */
  #setBatcherFor(node: string): SetBatcher {
    let b = this.#setBatchers.get(node);
    if (b === undefined) {
      b = new SetBatcher(this.#maxSetBatch, SET_BATCH_CHARS, (entries) =>
        this.#sendSets(node, entries),
      );
      this.#setBatchers.set(node, b);
    }
    return b;
  }

  /**
   * The writes of one batch: a lone write as before (SET, or the tagged-set script), several
   * as one `SET_MANY` call under one breaker decision and one deadline, as a batch of gets.
   * A failure of the call fails every write (the hooks see it once, as for a batch of gets);
   * a write the script reports as failed (OOM, WRONGTYPE) fails alone, counted on its own.
   */
  #sendSets(node: string, entries: PendingSet[]): Promise<readonly Result<boolean>[]> {
    const first = entries[0];
    if (entries.length === 1 && first !== undefined) {
      const { key, json, ttl, tagKeys } = first;
      const one =
        tagKeys.length === 0
          ? this.#call(node, () => this.topology.send(key, ['SET', key, json, 'PX', ttl]), stored)
          : this.#call(
              node,
              () => this.#eval(SET_WITH_TAGS, [key, ...tagKeys], [json, ttl]),
              stored,
            );
      return one.then((r) => [r]);
    }
    const keys: string[] = [];
    const args: string[] = [];
    for (const e of entries) {
      keys.push(e.key);
      for (const t of e.tagKeys) keys.push(t);
      args.push(String(e.tagKeys.length), e.json, e.ttl);
    }
    return this.#call(
      node,
      () => this.#eval(SET_MANY, keys, args),
      (reply) =>
        Array.isArray(reply)
          ? ok<unknown[]>(reply)
          : fail<unknown[]>(new CacheError('internal', 'SET_MANY did not reply with an array')),
    ).then((r) => {
      if (!r.ok) return entries.map(() => r);
      const breaker = this.#breakerFor(node);
      return entries.map((_, i) => {
        const v = r.value[i];
        if (v === 1) return STORED;
        const message = typeof v === 'string' ? v : 'no reply for this write in the batch';
        return this.#failed<boolean>(node, breaker, new ErrorReply(message));
      });
    });
  }

  /**
   * Breaker gate + readiness check + deadline + error mapping, shared by every op, for the
   * node the op goes to. `map` turns the reply into the op's Result in the same
   * continuation (one promise hop: this path runs ~10^5 times per second under load).
   */
  #call<R, V>(
    node: string,
    send: () => Promise<R>,
    map: (reply: R) => Result<V>,
  ): Promise<Result<V>> {
    if (this.#closed) return Promise.resolve(fail(new CacheError('connection', 'cache closed')));
    // Writes waiting for the end of the turn go to this node before this command does.
    if (this.#setBatchers.size > 0) this.#setBatchers.get(node)?.flush();
    const breaker = this.#breakerFor(node);
    if (!breaker.tryAcquire()) {
      return Promise.resolve(fail(new CacheError('circuit_open', 'Redis circuit open')));
    }
    if (!this.topology.isReady(node)) {
      const why = this.#notReadyType === 'auth' ? ': authentication failed' : '';
      return Promise.resolve(
        this.#failed(
          node,
          breaker,
          new CacheError(this.#notReadyType, `Redis not connected${why}`),
        ),
      );
    }
    let pending: Promise<R>;
    try {
      pending = send();
    } catch (err) {
      return Promise.resolve(this.#failed(node, breaker, err));
    }
    return this.#timeouts.run(pending).then(
      (reply) => {
        breaker.success();
        return map(reply);
      },
      (err: unknown) => this.#failed(node, breaker, err),
    );
  }

  #failed<R>(node: string, breaker: CircuitBreaker, err: unknown): Result<R> {
    const error = classifyRedisError(err);
    this.#lastErrorType = error.type;
    // Unreachable, or refusing every command (auth): count towards opening. Any other
    // error reply (oom included: reads still work) proves the node is up and usable.
    if (opensBreaker(error)) breaker.failure(error.type);
    else breaker.success();
    // A faulty hook (a counter, a logger) must not break the cache path, nor the other hook.
    try {
      this.#onNodeError?.(node, error);
    } catch {}
    try {
      this.#onOpError?.(error);
    } catch {}
    return fail(error);
  }

  /**
   * The breaker of one node (`''` = slots without a master share one). Nodes come and go
   * with failovers; closed breakers of nodes that left are dropped past 64 entries.
   */
  #breakerFor(node: string): CircuitBreaker {
    let b = this.#breakers.get(node);
    if (b !== undefined) return b;
    if (this.#breakers.size >= 64) {
      for (const [n, old] of this.#breakers) {
        if (old.state === 'closed' && !this.topology.isReady(n)) {
          old.dispose();
          this.#breakers.delete(n);
        }
      }
    }
    const breaker = new CircuitBreaker(this.#breakerOptions);
    b = breaker;
    this.#breakers.set(node, breaker);
    breaker.onStateChange((state) => {
      this.#updateAggregate();
      // Probe on our own when half-open: without traffic the circuit (and its gauge) would
      // otherwise stay half-open until the next request.
      if (state !== 'half_open') return;
      queueMicrotask(() => {
        void this.#call(
          node,
          () => this.topology.ping(node),
          () => STORED,
        );
      });
    });
    return breaker;
  }

  #updateAggregate(): void {
    let next: BreakerState = 'closed';
    for (const b of this.#breakers.values()) {
      if (b.state === 'open') {
        next = 'open';
        break;
      }
      if (b.state === 'half_open') next = 'half_open';
    }
    const previous = this.#aggregateState;
    if (next === previous) return;
    this.#aggregateState = next;
    for (const l of this.#breakerListeners) l(next, previous);
  }

  async #eval(
    script: LuaScript,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<unknown> {
    const command = ['EVALSHA', script.sha1, String(keys.length)];
    for (const k of keys) command.push(k);
    for (const a of args) command.push(a);
    const first = keys[0];
    try {
      return await this.topology.send(first, command);
    } catch (err) {
      if (!(err instanceof ErrorReply) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.topology.send(first, ['EVAL', script.source, ...command.slice(2)]);
    }
  }

  #valueKey(key: string): string {
    return this.#valuePrefix + key;
  }

  #tagKey(tag: string): string {
    return this.#tagPrefix + tag;
  }
}

/** A batch of sets also goes once it holds this many characters of JSON. */
const SET_BATCH_CHARS = 1 << 20;
const NO_KEYS: readonly string[] = Object.freeze([]);
const STORED: Result<boolean> = Object.freeze(ok(true));
const stored = (): Result<boolean> => STORED;

/**
 * The readings of every master as one: bytes and keys summed, `maxmemory` summed (each
 * master has its own), `complete` only when every SCAN was. `up: false` when any master
 * did not answer (its share would be missing), `undefined` before any reading.
 */
export function sumSnapshots(
  snaps: readonly (RedisSizeSnapshot | undefined)[],
): RedisSizeSnapshot | undefined {
  if (snaps.length === 0 || snaps.some((s) => s === undefined)) {
    return snaps.length === 1 ? snaps[0] : snaps.find((s) => s?.up === false);
  }
  const all = snaps as readonly RedisSizeSnapshot[];
  const at = Math.min(...all.map((s) => s.at));
  if (all.some((s) => !s.up)) return { up: false, at };
  if (all.length === 1) return all[0];
  let usedMemoryBytes = 0;
  let maxMemoryBytes = 0;
  let complete = true;
  const dbKeys: Record<string, number> = {};
  const patterns = new Map<string, PatternSize>();
  for (const s of all) {
    if (!s.up) continue;
    usedMemoryBytes += s.usedMemoryBytes;
    maxMemoryBytes += s.maxMemoryBytes;
    complete &&= s.complete;
    for (const [db, n] of Object.entries(s.dbKeys)) dbKeys[db] = (dbKeys[db] ?? 0) + n;
    for (const [p, size] of s.patterns) {
      const prev = patterns.get(p);
      patterns.set(p, {
        keys: (prev?.keys ?? 0) + size.keys,
        bytes: (prev?.bytes ?? 0) + size.bytes,
      });
    }
  }
  return { up: true, at, usedMemoryBytes, maxMemoryBytes, dbKeys, patterns, complete };
}
