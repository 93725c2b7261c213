import type { MetaSheetSource } from '../source/metasheet-source.ts';

/** Whose record a value derives from: every cached value is tagged `<owner>:<id>`. */
export type TagOwner = 'sheet' | 'user';

/** What every row has. */
interface RouteRow {
  readonly route: string;
  /** The cache key pattern: keys are `<keyPattern>:<id>` (`cacheKey`). */
  readonly keyPattern: string;
  /** Tag of every value read through the route, and what a write invalidates (`ownerTag`). */
  readonly owner: TagOwner;
  /** The embedded source's latency, scaled by SOURCE_LATENCY_SCALE. */
  readonly baseLatencyMs: number;
  /** Counted in `cache_candidate_requests` (a read a cache could answer). */
  readonly candidate: boolean;
}

/** A cache-aside read: `load` fetches the value from the source (`undefined`: not found). */
interface ReadRow extends RouteRow {
  readonly method: 'GET';
  readonly load: (source: MetaSheetSource, id: number, latencyMs: number) => Promise<unknown>;
}

/** A write to the owner's record: drops every value derived from it (keys by name, then the tag). */
interface WriteRow extends RouteRow {
  readonly method: 'PUT';
  readonly candidate: false;
}

/** `PUT /api/sheets/:id` (a sheet's title). */
export const SHEET_WRITE = {
  method: 'PUT',
  route: '/api/sheets/:id',
  keyPattern: 'sheet',
  owner: 'sheet',
  baseLatencyMs: 30,
  candidate: false,
} as const satisfies WriteRow;

/**
 * The example MetaSheet API: one row per route, everything about the route in it. A read
 * row without its loader, key pattern or tag owner does not compile. `keyPattern` is the
 * cache key pattern the route reads through (the mapping Phase 2 reports and dashboards
 * use to join patterns with route latency). Some routes are slower than 500 ms on purpose.
 */
export const API_ROUTES = [
  {
    method: 'GET',
    route: '/api/sheets/:id',
    keyPattern: 'sheet',
    owner: 'sheet',
    baseLatencyMs: 40,
    candidate: true,
    load: (s, id, ms) => s.sheet(id, ms),
  },
  {
    method: 'GET',
    route: '/api/sheets/:id/rows',
    keyPattern: 'rows',
    owner: 'sheet',
    baseLatencyMs: 650,
    candidate: true,
    load: (s, id, ms) => s.rows(id, ms),
  },
  {
    method: 'GET',
    route: '/api/sheets/:id/formulas',
    keyPattern: 'formula',
    owner: 'sheet',
    baseLatencyMs: 800,
    candidate: true,
    load: (s, id, ms) => s.formulas(id, ms),
  },
  {
    method: 'GET',
    route: '/api/sheets/:id/comments',
    keyPattern: 'comments',
    owner: 'sheet',
    baseLatencyMs: 120,
    candidate: true,
    load: (s, id, ms) => s.comments(id, ms),
  },
  {
    method: 'GET',
    route: '/api/users/:id',
    keyPattern: 'user',
    owner: 'user',
    baseLatencyMs: 15,
    candidate: true,
    load: (s, id, ms) => s.user(id, ms),
  },
  {
    method: 'GET',
    route: '/api/users/:id/permissions',
    keyPattern: 'perm',
    owner: 'user',
    baseLatencyMs: 60,
    candidate: true,
    load: (s, id, ms) => s.permissions(id, ms),
  },
  SHEET_WRITE,
] as const satisfies readonly (ReadRow | WriteRow)[];

export type ApiRoute = (typeof API_ROUTES)[number];
/** The read rows (GET). */
export type ReadRoute = Extract<ApiRoute, { method: 'GET' }>;
/** The write rows (PUT). */
export type WriteRoute = Extract<ApiRoute, { method: 'PUT' }>;

/** The cache key of record `id` under `pattern`: `<pattern>:<id>`. */
export function cacheKey(pattern: string, id: number): string {
  return `${pattern}:${id}`;
}

/** The tag every value derived from `owner` `id` carries: `<owner>:<id>`. */
export function ownerTag(owner: TagOwner, id: number): string {
  return `${owner}:${id}`;
}

/** Key patterns of the reads whose values derive from `owner`'s records (what its write drops). */
export function patternsOwnedBy(owner: TagOwner): string[] {
  return [
    ...new Set(
      API_ROUTES.filter((r) => r.method === 'GET' && r.owner === owner).map((r) => r.keyPattern),
    ),
  ];
}

/** Key patterns the example API uses (admitted up front by the pattern extractor). */
export const API_KEY_PATTERNS = [...new Set(API_ROUTES.map((r) => r.keyPattern))];
/** Route label for requests that matched no route (keeps the `route` label bounded). */
export const UNMATCHED_ROUTE = 'unmatched';
/** Number of sheets and users in the embedded data set (ids 1..N). */
export const SHEET_COUNT = 100_000;
export const USER_COUNT = 20_000;
