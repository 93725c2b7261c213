import { CACHE_ERROR_TYPES, type CacheErrorType } from '../metrics/names.ts';

/**
 * Every cache operation returns a `Result<T>` instead of throwing, so callers never
 * need try/catch: a cache failure is a value, and the caller falls back to the source.
 */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: CacheError };

/** Stable error classes, the `error_type` label (defined in metrics/names.ts). */
export { CACHE_ERROR_TYPES, type CacheErrorType };

/** A cache failure with a stable `type` (metric label) and the original `cause`. */
export class CacheError extends Error {
  override readonly name = 'CacheError';
  constructor(
    readonly type: CacheErrorType,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Wraps anything thrown by an implementation into a CacheError (default type `internal`). */
  static from(err: unknown, type: CacheErrorType = 'internal'): CacheError {
    if (err instanceof CacheError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new CacheError(type, message, { cause: err });
  }
}

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(error: CacheError): Result<T> => ({ ok: false, error });
