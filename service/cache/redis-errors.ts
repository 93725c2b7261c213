import { ErrorReply, TimeoutError } from 'redis';
import { CacheError } from './result.ts';
import { OperationTimeoutError } from './with-timeout.ts';

/** Cluster down or without coverage, a failover in progress, a replica that was a master. */
const UNAVAILABLE_REPLY = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY)\b/;

/**
 * Maps whatever a node-redis call rejected with onto a stable `CacheError` type:
 * our deadline or a client timeout → `timeout`; a reply saying the node cannot serve now
 * (CLUSTERDOWN, TRYAGAIN, LOADING, MASTERDOWN, READONLY) → `connection`; another server error reply (the server did
 * answer, e.g. OOM or a script error) → `internal`; everything else the client throws
 * (offline, closed, socket reset, queue full) → `connection`.
 */
export function classifyRedisError(err: unknown): CacheError {
  if (err instanceof CacheError) return err;
  if (err instanceof OperationTimeoutError || err instanceof TimeoutError) {
    return CacheError.from(err, 'timeout');
  }
  // Replies that mean "no usable master here right now" are availability, not logic, errors.
  if (err instanceof ErrorReply && UNAVAILABLE_REPLY.test(err.message)) {
    return CacheError.from(err, 'connection');
  }
  if (err instanceof ErrorReply) return CacheError.from(err, 'internal');
  return CacheError.from(err, 'connection');
}

/** Errors that say "Redis is not reachable in time" and so count towards the breaker. */
export const isAvailabilityError = (e: CacheError): boolean =>
  e.type === 'timeout' || e.type === 'connection';

/** Cluster: the slot is elsewhere now (MOVED), being migrated (ASK), or split (TRYAGAIN). */
export const isRedirect = (err: unknown): boolean =>
  err instanceof ErrorReply && /^(MOVED|ASK|TRYAGAIN) /.test(err.message);
