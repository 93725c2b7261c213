import { ErrorReply, TimeoutError } from 'redis';
import { CacheError, type CacheErrorType } from './result.ts';
import { OperationTimeoutError } from './with-timeout.ts';

/** Cluster down or without coverage, a failover in progress, a replica that was a master. */
const UNAVAILABLE_REPLY = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY)\b/;

/** Error replies whose first word says the credentials or ACL are wrong. */
const AUTH_REPLY = /^(NOAUTH|WRONGPASS|NOPERM)\b/;

/**
 * Maps whatever a node-redis call rejected with onto a stable `CacheError` type:
 * our deadline or a client timeout → `timeout`; a reply saying the node cannot serve now
 * (CLUSTERDOWN, TRYAGAIN, LOADING, MASTERDOWN, READONLY) → `connection`; an error reply
 * NOAUTH / WRONGPASS / NOPERM → `auth`; OOM (write refused at maxmemory, also inside a
 * script) → `oom`; any other error reply (the server did answer, e.g. a script error) →
 * `internal`; everything else the client throws (offline, closed, socket reset, queue
 * full) → `connection`.
 */
export function classifyRedisError(err: unknown): CacheError {
  if (err instanceof CacheError) return err;
  if (err instanceof OperationTimeoutError || err instanceof TimeoutError) {
    return CacheError.from(err, 'timeout');
  }
  if (err instanceof ErrorReply) return CacheError.from(err, replyType(err.message));
  return CacheError.from(err, 'connection');
}

function replyType(message: string): CacheErrorType {
  // Replies that mean "no usable master here right now" are availability, not logic, errors.
  if (UNAVAILABLE_REPLY.test(message)) return 'connection';
  if (AUTH_REPLY.test(message)) return 'auth';
  if (message.startsWith('OOM ')) return 'oom';
  return 'internal';
}

/**
 * Errors that count towards opening the breaker: Redis is not reachable in time, or
 * refuses every command (`auth`: retrying cannot help until the credentials change).
 * `oom` does not: reads still work, and hits are worth serving while writes are refused.
 */
export const opensBreaker = (e: CacheError): boolean =>
  e.type === 'timeout' || e.type === 'connection' || e.type === 'auth';

/** Cluster: the slot is elsewhere now (MOVED), being migrated (ASK), or split (TRYAGAIN). */
export const isRedirect = (err: unknown): boolean =>
  err instanceof ErrorReply && /^(MOVED|ASK|TRYAGAIN) /.test(err.message);
