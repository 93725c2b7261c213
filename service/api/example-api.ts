import { type Request, type Response, Router } from 'express';
import { SourceError } from '../source/faults.ts';
import type { MetaSheetSource } from '../source/metasheet-source.ts';
import { abVariant } from './ab-split.ts';
import { cacheStatusHeader } from './cache-status.ts';
import { type ReadThroughDeps, readThrough } from './read-through.ts';
import { API_ROUTES, type ApiRoute } from './routes-table.ts';

/** What the example API needs. */
export interface ExampleApiDeps extends ReadThroughDeps {
  readonly source: MetaSheetSource;
  /** Percent of stable keys in the A/B control group (bypass the cache). 0 = no split. */
  readonly abControlPercent: number;
}

type Loader = (s: MetaSheetSource, id: number, ms: number) => Promise<unknown>;
const LOADERS: Record<string, Loader> = {
  '/api/sheets/:id': (s, id, ms) => s.sheet(id, ms),
  '/api/sheets/:id/rows': (s, id, ms) => s.rows(id, ms),
  '/api/sheets/:id/formulas': (s, id, ms) => s.formulas(id, ms),
  '/api/sheets/:id/comments': (s, id, ms) => s.comments(id, ms),
  '/api/users/:id': (s, id, ms) => s.user(id, ms),
  '/api/users/:id/permissions': (s, id, ms) => s.permissions(id, ms),
};

/**
 * The MetaSheet example API (routes in `API_ROUTES`): reads go cache-aside through the
 * registry with key `<pattern>:<id>` and answer with an RFC 9211 `Cache-Status` header;
 * `PUT /api/sheets/:id` deletes the sheet's key and invalidates its tag, which every
 * sheet-derived key carries (also when the source write fails: a timed-out write may have
 * landed). A failing source answers 503 with what failed.
 */
export function exampleApi(d: ExampleApiDeps): Router {
  const router = Router();
  for (const r of API_ROUTES) {
    if (r.method === 'GET') router.get(r.route, (req, res) => read(d, r, req, res));
  }
  router.put('/api/sheets/:id', async (req, res) => {
    const id = parseId(req, res);
    if (id === undefined) return;
    const title: unknown = req.body?.title;
    if (typeof title !== 'string' || title.length < 1 || title.length > 200) {
      res.status(400).json({ error: 'body must be JSON {"title": string of 1 to 200 characters}' });
      return;
    }
    d.writes.write([`sheet:${id}`]); // loads of this sheet running now are not stored
    const route = API_ROUTES.find((x) => x.method === 'PUT');
    let sheet: Awaited<ReturnType<MetaSheetSource['updateSheet']>>;
    try {
      sheet = await d.source.updateSheet(id, title, route?.baseLatencyMs ?? 0);
    } catch (err) {
      await invalidateSheet(d, id);
      if (!sourceFailed(err, res)) throw err;
      return;
    }
    if (!sheet) {
      res.status(404).json({ error: `sheet ${id} not found` });
      return;
    }
    await invalidateSheet(d, id);
    res.json(sheet);
  });
  return router;
}

async function read(d: ExampleApiDeps, r: ApiRoute, req: Request, res: Response): Promise<void> {
  const id = parseId(req, res);
  if (id === undefined) return;
  countCandidate(d, r);
  const owner = ownerOf(r);
  const variant = d.cache.isEnabled ? abVariant(stableKey(req, id), d.abControlPercent) : 'off';
  res.locals.variant = variant;
  const loader = LOADERS[r.route];
  if (!loader) throw new Error(`no loader for ${r.route}`);
  let value: unknown;
  try {
    const read = await readThrough(d, {
      key: `${r.keyPattern}:${id}`,
      pattern: r.keyPattern,
      tags: [`${owner}:${id}`],
      variant,
      load: async () => (await loader(d.source, id, r.baseLatencyMs)) ?? undefined,
    });
    value = read.value;
    res.set('Cache-Status', cacheStatusHeader(read.outcome));
  } catch (err) {
    if (!sourceFailed(err, res)) throw err;
    return;
  }
  if (value === undefined) {
    res.status(404).json({ error: `${owner} ${id} not found` });
    return;
  }
  res.json(value);
}

/**
 * After a write, nothing cached about the sheet survives, stale copies in grace included,
 * and readers arriving now do not share a load that may have read it before the write.
 */
/** Key patterns of the GET routes whose values derive from a sheet (tagged `sheet:<id>`). */
const SHEET_PATTERNS = [
  ...new Set(
    API_ROUTES.filter((r) => r.method === 'GET' && ownerOf(r) === 'sheet').map((r) => r.keyPattern),
  ),
];

/** Whose data a route reads: its tag owner (`user:<id>` or `sheet:<id>`). */
function ownerOf(r: ApiRoute): 'user' | 'sheet' {
  return r.route.startsWith('/api/users') ? 'user' : 'sheet';
}

/**
 * Drops everything derived from sheet `id`: each of its keys by name, then its tag. The
 * names matter under eviction: Redis may evict a tag set before its members
 * (allkeys-lru), and then the tag alone would miss them.
 */
async function invalidateSheet(d: ExampleApiDeps, id: number): Promise<void> {
  await Promise.all(SHEET_PATTERNS.map((p) => d.cache.del(`${p}:${id}`)));
  await d.cache.invalidateTag(`sheet:${id}`);
  // Loads that started during the source write may have read the old sheet: not stored.
  d.writes.write([`sheet:${id}`]);
  d.flights.forget(`sheet:${id}`, `sheet:${id}`);
}

/** Answers a source failure with 503 naming it; false for any other error. */
function sourceFailed(err: unknown, res: Response): boolean {
  if (!(err instanceof SourceError)) return false;
  res.status(503).json({ error: `source unavailable: ${err.message}` });
  return true;
}

function countCandidate(d: ExampleApiDeps, r: ApiRoute): void {
  // FEATURE_CACHE (read per request: it can change at run time) gates every cache metric.
  if (d.cache.isEnabled && r.candidate)
    d.metrics.candidateRequests.inc({ route: r.route, method: r.method });
}

/** A/B key: the caller's user id when given (x-user-id), else the resource id. */
function stableKey(req: Request, id: number): string {
  const user = req.get('x-user-id');
  return user && /^\d{1,12}$/.test(user) ? `u${user}` : `r${id}`;
}

function parseId(req: Request, res: Response): number | undefined {
  const raw = String(req.params.id);
  const id = /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(id) || id < 1) {
    res.status(400).json({ error: 'id must be a positive integer' });
    return undefined;
  }
  return id;
}
