/** Name of this cache in the `Cache-Status` header (RFC 9211). */
export const CACHE_STATUS_NAME = 'metasheet-cache';

/** Why a stale value was served. */
export type StaleReason =
  /** The refresh failed (source error or timeout). */
  | 'stale-if-error'
  /** The refresh did not finish within the soft timeout; it goes on in the background. */
  | 'stale-soft-timeout'
  /** Another replica holds the load lock and did not finish within the soft timeout. */
  | 'stale-while-locked';

/** How the cache handled one read, for the `Cache-Status` response header. */
export type CacheOutcome =
  | { readonly kind: 'hit'; readonly ttlMs: number }
  | { readonly kind: 'stale'; readonly ttlMs: number; readonly reason: StaleReason }
  | {
      readonly kind: 'forward';
      /** `uri-miss`: nothing cached; `stale`: the cached copy was stale and was refreshed. */
      readonly fwd: 'uri-miss' | 'stale';
      readonly stored: boolean;
      readonly collapsed: boolean;
    }
  /** The cache was not used (A/B control group, pattern outside the whitelist, cache off). */
  | { readonly kind: 'bypass' };

/**
 * The RFC 9211 `Cache-Status` value: `hit; ttl=N` (fresh, N seconds left), `hit; ttl=-N;
 * detail=<reason>` (stale, N seconds past its TTL: a negative ttl marks a stale response),
 * `fwd=uri-miss|stale[; stored][; collapsed]`, `fwd=bypass`.
 */
export function cacheStatusHeader(o: CacheOutcome): string {
  const name = CACHE_STATUS_NAME;
  switch (o.kind) {
    case 'hit':
      return `${name}; hit; ttl=${Math.max(0, Math.floor(o.ttlMs / 1000))}`;
    case 'stale':
      return `${name}; hit; ttl=${-Math.max(1, Math.ceil(-o.ttlMs / 1000))}; detail=${o.reason}`;
    case 'forward':
      return `${name}; fwd=${o.fwd}${o.stored ? '; stored' : ''}${o.collapsed ? '; collapsed' : ''}`;
    case 'bypass':
      return `${name}; fwd=bypass`;
  }
}
