/**
 * The example MetaSheet API: one row per route. `keyPattern` is the cache key pattern
 * the route reads through (the mapping Phase 2 reports and dashboards use to join
 * patterns with route latency); `baseLatencyMs` is the embedded source's latency,
 * scaled by SOURCE_LATENCY_SCALE. Some routes are slower than 500 ms on purpose.
 */
export const API_ROUTES = [
  {
    method: 'GET',
    route: '/api/sheets/:id',
    keyPattern: 'sheet',
    baseLatencyMs: 40,
    candidate: true,
  },
  {
    method: 'GET',
    route: '/api/sheets/:id/rows',
    keyPattern: 'rows',
    baseLatencyMs: 650,
    candidate: true,
  },
  {
    method: 'GET',
    route: '/api/sheets/:id/formulas',
    keyPattern: 'formula',
    baseLatencyMs: 800,
    candidate: true,
  },
  {
    method: 'GET',
    route: '/api/sheets/:id/comments',
    keyPattern: 'comments',
    baseLatencyMs: 120,
    candidate: true,
  },
  {
    method: 'GET',
    route: '/api/users/:id',
    keyPattern: 'user',
    baseLatencyMs: 15,
    candidate: true,
  },
  {
    method: 'GET',
    route: '/api/users/:id/permissions',
    keyPattern: 'perm',
    baseLatencyMs: 60,
    candidate: true,
  },
  {
    method: 'PUT',
    route: '/api/sheets/:id',
    keyPattern: 'sheet',
    baseLatencyMs: 30,
    candidate: false,
  },
] as const;

export type ApiRoute = (typeof API_ROUTES)[number];
/** Key patterns the example API uses (admitted up front by the pattern extractor). */
export const API_KEY_PATTERNS = [...new Set(API_ROUTES.map((r) => r.keyPattern))];
/** Route label for requests that matched no route (keeps the `route` label bounded). */
export const UNMATCHED_ROUTE = 'unmatched';
/** Number of sheets and users in the embedded data set (ids 1..N). */
export const SHEET_COUNT = 100_000;
export const USER_COUNT = 20_000;
