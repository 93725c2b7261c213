import express, { type Request, type Response, type Router } from 'express';
import type { CounterCell } from '../metrics/cell-counter.ts';
import { SourceError } from '../source/faults.ts';
import type { MetaSheetSource } from '../source/metasheet-source.ts';
import { abVariant } from './ab-split.ts';
import { cacheStatusHeader } from './cache-status.ts';
import type { HotRead } from './hot-reads.ts';
import { type ReadThroughDeps, readThrough } from './read-through.ts';
import {
  API_ROUTES,
  cacheKey,
  ownerTag,
  patternsOwnedBy,
  type ReadRoute,
  SHEET_WRITE,
  type TagOwner,
  type WriteRoute,
} from './routes-table.ts';
import { sendJson } from './send-json.ts';

/** What the example API needs. */
export interface ExampleApiDeps extends ReadThroughDeps {
  readonly source: MetaSheetSource;
  /** Percent of stable keys in the A/B control group (bypass the cache). 0 = no split. */
  readonly abControlPercent: number;
}

/**
 * Mounts the MetaSheet example API (routes in `API_ROUTES`) on `router` (the app itself:
 * a nested Router would add a second dispatch to every request): reads go cache-aside through the
 * registry with key `<pattern>:<id>` and answer with an RFC 9211 `Cache-Status` header;
 * `PUT /api/sheets/:id` deletes the sheet's key and invalidates its tag, which every
 * sheet-derived key carries (also when the source write fails: a timed-out write may have
 * landed). A failing source answers 503 with what failed. Returns the GETs by route
 * template, for `dispatchHotReads`.
 */
export function mountExampleApi(router: Router, d: ExampleApiDeps): Map<string, HotRead> {
  const reads = new Map<string, HotRead>();
  for (const r of API_ROUTES) {
    if (r.method !== 'GET') continue;
    // Looked up on the first candidate request (the series appears then, not before).
    let candidates: CounterCell | undefined;
    const count = () => {
      candidates ??= d.metrics.candidateRequests.cell({ route: r.route, method: r.method });
      candidates.value++;
    };
    const handle = (req: Request, res: Response) => read(d, r, count, req, res);
    const template: string = r.route;
    reads.set(template, { route: router.route(template).get(handle), handle });
  }
  // The JSON body parser only where a body is read: on every GET it cost a content-type
  // check and an end-of-stream listener per request.
  router.put(SHEET_WRITE.route, express.json({ limit: '64kb' }), async (req, res) => {
    const id = parseId(req, res);
    if (id === undefined) return;
    const title: unknown = req.body?.title;
    if (typeof title !== 'string' || title.length < 1 || title.length > 200) {
      res.status(400).json({ error: 'body must be JSON {"title": string of 1 to 200 characters}' });
      return;
    }
    d.writes.write([ownerTag(SHEET_WRITE.owner, id)]); // loads of this sheet running now are not stored
    let sheet: Awaited<ReturnType<MetaSheetSource['updateSheet']>>;
    try {
      sheet = await d.source.updateSheet(id, title, SHEET_WRITE.baseLatencyMs);
    } catch (err) {
      await invalidate(d, SHEET_WRITE, id);
      if (!sourceFailed(err, res)) throw err;
      return;
    }
    if (!sheet) {
      res.status(404).json({ error: `${SHEET_WRITE.owner} ${id} not found` });
      return;
    }
    await invalidate(d, SHEET_WRITE, id);
    res.json(sheet);
  });
  return reads;
}

async function read(
  d: ExampleApiDeps,
  r: ReadRoute,
  countCandidate: () => void,
  req: Request,
  res: Response,
): Promise<void> {
  const id = parseId(req, res);
  if (id === undefined) return;
  // FEATURE_CACHE (read per request: it can change at run time) gates every cache metric.
  const enabled = d.cache.isEnabled;
  if (enabled && r.candidate) countCandidate();
  const percent = d.abControlPercent;
  // No split configured: no A/B key to compute (abVariant would answer 'off').
  const variant = enabled && percent > 0 ? abVariant(stableKey(req, id), percent) : 'off';
  res.locals.variant = variant;
  let value: unknown;
  try {
    const read = await readThrough(d, {
      key: cacheKey(r.keyPattern, id),
      pattern: r.keyPattern,
      tags: [ownerTag(r.owner, id)],
      variant,
      load: loaderOf(d.source, r, id),
    });
    value = read.value;
    res.setHeader('Cache-Status', cacheStatusHeader(read.outcome));
  } catch (err) {
    if (!sourceFailed(err, res)) throw err;
    return;
  }
  if (value === undefined) {
    res.status(404).json({ error: `${r.owner} ${id} not found` });
    return;
  }
  sendJson(res, value);
}

/** The source load of one read (`undefined`: not found). */
function loaderOf(source: MetaSheetSource, r: ReadRoute, id: number): () => Promise<unknown> {
  return async () => (await r.load(source, id, r.baseLatencyMs)) ?? undefined;
}

/** Key patterns whose values derive from each owner's records (tagged `<owner>:<id>`). */
const OWNED_PATTERNS: Readonly<Record<TagOwner, readonly string[]>> = {
  sheet: patternsOwnedBy('sheet'),
  user: patternsOwnedBy('user'),
};

/**
 * After a write, nothing cached about the record survives, stale copies in grace included,
 * and readers arriving now do not share a load that may have read it before the write.
 * Each derived key is dropped by name, then the tag: under eviction Redis may evict a tag
 * set before its members (allkeys-lru), and then the tag alone would miss them.
 */
async function invalidate(d: ExampleApiDeps, w: WriteRoute, id: number): Promise<void> {
  await Promise.all(OWNED_PATTERNS[w.owner].map((p) => d.cache.del(cacheKey(p, id))));
  const tag = ownerTag(w.owner, id);
  await d.cache.invalidateTag(tag);
  // Loads that started during the source write may have read the old record: not stored.
  d.writes.write([tag]);
  d.flights.forget(cacheKey(w.keyPattern, id), tag);
}

/** Answers a source failure with 503 naming it; false for any other error. */
function sourceFailed(err: unknown, res: Response): boolean {
  if (!(err instanceof SourceError)) return false;
  res.status(503).json({ error: `source unavailable: ${err.message}` });
  return true;
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
