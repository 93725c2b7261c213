import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { redactUrl } from '../../service/redact.ts';

/** The Redis the `redis` vitest project runs against. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** host/port of REDIS_URL, e.g. for a TCP proxy in front of it. */
export function redisAddress(url = REDIS_URL): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) };
}

/** A key prefix no other test run (or person) uses, so tests never touch foreign keys. */
export const uniquePrefix = (name: string): string =>
  `test:${name}:${process.pid}:${randomBytes(4).toString('hex')}:`;

/** A plain node-redis client (the tests' admin connection). */
export type RedisClient = ReturnType<typeof createClient>;
type Client = RedisClient;

/**
 * Connects a plain client for assertions and clean-up, or fails with a message saying
 * how to get a Redis (never skips: a Redis test without Redis is a failed test).
 */
export async function connectRedis(url = REDIS_URL): Promise<Client> {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 1000, reconnectStrategy: false },
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (err) {
    if (client.isOpen) client.destroy();
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `Redis at ${redactUrl(url)} does not answer (${why}). Run \`make setup\` (starts redis-server, ` +
        'or apt-get install -y --no-install-recommends redis-server), or set REDIS_URL.',
    );
  }
}

/** Deletes every key under `prefix` (SCAN + UNLINK; never FLUSHDB). Returns how many. */
export async function deletePrefix(client: Client, prefix: string): Promise<number> {
  let removed = 0;
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    if (keys.length > 0) removed += await client.unlink(keys);
  }
  return removed;
}

/** Keys currently under `prefix`. */
export async function keysUnder(client: Client, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    out.push(...keys);
  }
  return out.sort();
}
