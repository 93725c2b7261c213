import { createClient } from 'redis';

/** The node-redis v5 client type used by the Redis layer. */
export type RedisClient = ReturnType<typeof createClient>;

export interface ResilientClientOptions {
  readonly url: string;
  /** Overrides a password in `url` (e.g. REDIS_PASSWORD from a Secret). */
  readonly password?: string;
  /** TCP connect timeout. @default 1000 */
  readonly connectTimeoutMs?: number;
  /** Cap of the reconnect back-off (50 ms doubling, plus up to 50 ms jitter). @default 1000 */
  readonly maxReconnectDelayMs?: number;
  /** Commands queued (written + awaiting reply) before new ones fail fast. @default 10000 */
  readonly maxQueuedCommands?: number;
  /** Every client error, e.g. one per failed reconnect attempt. */
  readonly onError?: (err: Error) => void;
}

/**
 * A node-redis client that never takes the process down and never makes callers wait for
 * Redis: the offline queue is disabled (commands fail at once while disconnected), the
 * queue is bounded, it reconnects forever with capped back-off, and `connect()` is started
 * in the background — an unreachable Redis at start neither throws nor blocks.
 * Watch `isReady` (or the `ready` event) to know when it is usable.
 */
export function createResilientClient(opts: ResilientClientOptions): RedisClient {
  const client = createClient({
    url: opts.url,
    ...(opts.password === undefined ? {} : { password: opts.password }),
    disableOfflineQueue: true,
    commandsQueueMaxLength: opts.maxQueuedCommands ?? 10_000,
    socket: {
      connectTimeout: opts.connectTimeoutMs ?? 1000,
      // Never give up: an outage must end with the cache back, without a restart.
      reconnectStrategy: reconnectBackoff(opts.maxReconnectDelayMs ?? 1000),
    },
  });
  // Without an 'error' listener EventEmitter would throw and crash the process.
  client.on('error', (err: Error) => opts.onError?.(err));
  // connect() retries until it succeeds or the client is destroyed.
  client.connect().catch(() => {});
  return client;
}

/** 50 ms doubling up to `maxDelayMs`, plus up to 50 ms jitter; never gives up. */
export const reconnectBackoff =
  (maxDelayMs: number) =>
  (retries: number): number =>
    Math.min(50 * 2 ** Math.min(retries, 10), maxDelayMs) + Math.floor(Math.random() * 50);

/** Closes gracefully (in-flight replies arrive) but never waits more than `graceMs`. */
export async function closeClient(client: RedisClient, graceMs = 500): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady) {
    const grace = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    await Promise.race([client.close().catch(() => {}), grace]);
  }
  if (client.isOpen) client.destroy();
}
