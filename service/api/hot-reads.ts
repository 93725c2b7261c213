import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, IRoute, Request, RequestHandler, Response } from 'express';

/** A GET route the app answers before Express' router: its `Route` and its handler. */
export interface HotRead {
  /** Express' own route object (what `req.route` is when the router dispatches it). */
  readonly route: IRoute;
  readonly handle: (req: Request, res: Response) => Promise<void>;
}

/** What runs around a hot read: the app's first middleware, and its error handler. */
export interface HotReadHooks {
  /** The app's first middleware (request metrics); its `next` is a no-op here. */
  readonly before: RequestHandler;
  /** The app's error handler, for a handler that rejects (as the router would call it). */
  readonly onError: (err: unknown, req: Request, res: Response) => void;
}

/** Express 5's `app.handle(req, res, done)` (lib/application.js), not in @types/express. */
interface Handling {
  handle(req: IncomingMessage, res: ServerResponse, done?: (err?: unknown) => void): void;
}

/** The one parameter every hot route has, as a path segment of digits. */
const ID_SEGMENT = /\/(\d+)(?=\/|$)/;
const NOOP = () => {};

/**
 * Dispatches the API's GETs (`reads`, by route template such as `/api/users/:id`) before
 * Express' router, which on a cache hit cost more than the whole cache read: a request whose
 * path is exactly a template with digits for `:id` (lower case, no query, no trailing slash,
 * no percent-encoding) goes to that route's handler with what the router would have set
 * (`req.params`, `req.route`, `req.baseUrl`, `req.originalUrl`) after the app's first
 * middleware; any other request — HEAD, a query string, `/API/Users/1/`, `%31` — takes the
 * router as before, which answers it the same way. So the answer does not depend on the
 * lane: `hot-reads.test.ts` compares both apps response by response and metric by metric.
 *
 * This holds because every template has the single parameter `:id` and literal segments
 * otherwise (checked here), and the app registers these GETs right after its first middleware,
 * so no other route can match such a path first.
 */
export function dispatchHotReads(
  app: Express,
  reads: ReadonlyMap<string, HotRead>,
  hooks: HotReadHooks,
): void {
  for (const template of reads.keys()) {
    if (!/^(\/[a-z][a-z0-9-]*)+\/:id(\/[a-z][a-z0-9-]*)*$/.test(template)) {
      throw new Error(`hot read ${template}: needs literal segments and one :id`);
    }
  }
  // Express' app object is callable and dispatches through `app.handle`: the one place
  // a request enters the app, whoever serves it (http.createServer, supertest).
  const express = app as unknown as Handling;
  const handle = express.handle.bind(app);
  express.handle = (req, res, done) => {
    const hot = req.method === 'GET' ? match(reads, req.url ?? '') : undefined;
    if (hot === undefined) {
      handle(req, res, done);
      return;
    }
    // What app.handle and the router set before a route's handler runs.
    if (app.enabled('x-powered-by')) res.setHeader('X-Powered-By', 'Express');
    const rq = req as Request;
    const rs = res as Response;
    rq.res = rs;
    rs.req = rq;
    Object.setPrototypeOf(req, app.request);
    Object.setPrototypeOf(res, app.response);
    rs.locals ??= Object.create(null);
    rq.originalUrl ??= rq.url;
    rq.baseUrl = '';
    rq.params = { id: hot.id };
    rq.route = hot.read.route;
    hooks.before(rq, rs, NOOP);
    hot.read.handle(rq, rs).catch((err: unknown) => hooks.onError(err, rq, rs));
  };
}

function match(
  reads: ReadonlyMap<string, HotRead>,
  url: string,
): { read: HotRead; id: string } | undefined {
  const m = ID_SEGMENT.exec(url);
  if (m === null) return undefined;
  const id = m[1] as string;
  const read = reads.get(`${url.slice(0, m.index)}/:id${url.slice(m.index + id.length + 1)}`);
  return read === undefined ? undefined : { read, id };
}
