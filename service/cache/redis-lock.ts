import { randomUUID } from 'node:crypto';
import { ErrorReply } from 'redis';
import type { LoadLock, LockAttempt } from './load-lock.ts';
import { closeClient, createResilientClient, type RedisClient } from './redis-client.ts';
import { RELEASE_LOCK } from './redis-scripts.ts';
import { TimeoutQueue } from './with-timeout.ts';

export interface RedisLoadLockOptions {
  readonly url: string;
  /** Overrides a password in `url` (REDIS_PASSWORD). */
  readonly password?: string;
  /** Namespace, the cache's key prefix; lock keys are `<prefix>l:<key>`. */
  readonly keyPrefix: string;
  /** Lock expiry (PX): should cover one source load. @default 5000 */
  readonly ttlMs?: number;
  /** How long a non-holder waits for the holder's value. @default 1000 */
  readonly waitMs?: number;
  /** Deadline of each lock command; past it the attempt is `unavailable`. @default 50 */
  readonly timeoutMs?: number;
  readonly onClientError?: (err: Error) => void;
}

/**
 * `LoadLock` on Redis: `SET <prefix>l:<key> <token> NX PX ttl`, released by a Lua
 * compare-and-delete (only the holder's token deletes it; an expired lock taken over by
 * another replica is left alone). Own connection, so lock traffic never queues behind
 * cache traffic; every error or timeout is `unavailable`, never thrown.
 */
export class RedisLoadLock implements LoadLock {
  readonly waitMs: number;
  readonly #prefix: string;
  readonly #ttl: string;
  readonly #client: RedisClient;
  readonly #timeouts: TimeoutQueue;
  #closed = false;

  constructor(opts: RedisLoadLockOptions) {
    if (opts.keyPrefix.length === 0) throw new RangeError('keyPrefix must not be empty');
    this.#prefix = opts.keyPrefix;
    this.#ttl = String(opts.ttlMs ?? 5000);
    this.waitMs = opts.waitMs ?? 1000;
    this.#timeouts = new TimeoutQueue(opts.timeoutMs ?? 50);
    this.#client = createResilientClient({
      url: opts.url,
      ...(opts.password === undefined ? {} : { password: opts.password }),
      ...(opts.onClientError ? { onError: opts.onClientError } : {}),
    });
  }

  /** Resolves true once connected, false after `withinMs`. */
  async ready(withinMs = 2000): Promise<boolean> {
    const deadline = Date.now() + withinMs;
    while (!this.#client.isReady) {
      if (this.#closed || Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  async acquire(key: string): Promise<LockAttempt> {
    if (this.#closed || !this.#client.isReady) {
      return { state: 'unavailable', reason: 'lock store not connected' };
    }
    const lockKey = `${this.#prefix}l:${key}`;
    const token = randomUUID();
    try {
      const reply = await this.#timeouts.run(
        this.#client.sendCommand(['SET', lockKey, token, 'NX', 'PX', this.#ttl]),
      );
      if (reply === null || String(reply) !== 'OK') return { state: 'busy' };
    } catch (err) {
      return { state: 'unavailable', reason: err instanceof Error ? err.message : String(err) };
    }
    return { state: 'acquired', release: () => this.#release(lockKey, token) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeClient(this.#client);
    this.#timeouts.dispose();
  }

  async #release(lockKey: string, token: string): Promise<void> {
    if (this.#closed || !this.#client.isReady) return; // it expires by itself
    const tail = ['1', lockKey, token];
    try {
      await this.#timeouts.run(
        this.#client.sendCommand(['EVALSHA', RELEASE_LOCK.sha1, ...tail]).catch((err: unknown) => {
          if (!(err instanceof ErrorReply) || !err.message.startsWith('NOSCRIPT')) throw err;
          return this.#client.sendCommand(['EVAL', RELEASE_LOCK.source, ...tail]);
        }),
      );
    } catch {
      // The lock expires after its PX: a failed release only delays other replicas.
    }
  }
}
