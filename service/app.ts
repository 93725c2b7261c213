import express, {
  type ErrorRequestHandler,
  type Express,
  type RequestHandler,
  type Response,
} from 'express';
import { mountExampleApi } from './api/example-api.ts';
import { type GracePolicy, NO_GRACE } from './api/grace.ts';
import { dispatchHotReads } from './api/hot-reads.ts';
import { UNMATCHED_ROUTE } from './api/routes-table.ts';
import { SingleFlight } from './api/single-flight.ts';
import { WriteLog } from './api/write-log.ts';
import type { LoadLock } from './cache/load-lock.ts';
import type { CacheRegistry } from './cache/registry.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics/registry.ts';
import type { RuntimeSettings } from './runtime-config.ts';
import type { MetaSheetSource } from './source/metasheet-source.ts';

/** Everything the HTTP app needs; built by `main.ts` (or a test). */
export interface AppDeps {
  readonly cache: CacheRegistry;
  readonly metrics: Metrics;
  readonly source: MetaSheetSource;
  readonly logger: Logger;
  readonly nodeEnv: 'development' | 'test' | 'production';
  /** TTL of values cached by the example API. @default 300_000 */
  readonly ttlMs?: number;
  /** Grace (stale-if-error), soft timeout and early refresh. @default NO_GRACE (off) */
  readonly grace?: GracePolicy;
  /** Cross-replica load lock (CACHE_LOCK). @default none */
  readonly loadLock?: LoadLock;
  /** Wall clock of cached values' fresh times (tests move it). @default Date.now */
  readonly now?: () => number;
  /** Percent of traffic in the A/B control group. @default 0 */
  readonly abControlPercent?: number;
  /** Sizing estimator, whose curves `GET /internal/cache` shows. @default none */
  readonly estimator?: { curves(): unknown };
  /** True while shutting down: `/health` answers 503 so load balancers stop sending. */
  readonly isDraining?: () => boolean;
  /** Live TTL and A/B percent (a config reload changes them); wins over `ttlMs`/`abControlPercent`. */
  readonly settings?: RuntimeSettings;
  /** State of the last config reload, shown in `/health` and `/internal/cache`. @default none */
  readonly configStatus?: () => { readonly lastResult: string; readonly lastSuccessAt: string };
  /**
   * The API's GETs dispatched before Express' router (`dispatchHotReads`); false: every
   * request through the router (the test comparing both lanes). @default true
   */
  readonly hotReads?: boolean;
}

/** Builds the Express app: no listening, no env, no module state. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  const observeRequest = requestMetrics(deps.metrics);
  app.use(observeRequest);

  const live: RuntimeSettings = deps.settings ?? {
    ttlMs: deps.ttlMs ?? 300_000,
    abControlPercent: deps.abControlPercent ?? 0,
  };

  // The API first: its GETs are the hot path, matched before the internal endpoints.
  const reads = mountExampleApi(app, {
    cache: deps.cache,
    metrics: deps.metrics,
    source: deps.source,
    flights: new SingleFlight(),
    // Getters: read per request, so a config reload takes effect at once.
    get ttlMs() {
      return live.ttlMs;
    },
    writes: new WriteLog(),
    get abControlPercent() {
      return live.abControlPercent;
    },
    grace: deps.grace ?? NO_GRACE,
    ...(deps.loadLock ? { lock: deps.loadLock } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });

  app.get('/health', (_req, res) => {
    const draining = deps.isDraining?.() ?? false;
    // The cache is optional: degraded or disabled still answers 200, and says so.
    res.status(draining ? 503 : 200).json({
      status: draining ? 'draining' : 'ok',
      uptimeSeconds: Math.round(process.uptime()),
      cache: { enabled: deps.cache.isEnabled, impl: deps.cache.impl, ...deps.cache.health() },
      // Only the outcome here: error texts (which quote values) stay in /internal/cache.
      ...(deps.configStatus ? { config: healthConfig(deps.configStatus()) } : {}),
    });
  });

  app.get('/internal/cache', (_req, res) => {
    if (deps.nodeEnv === 'production') {
      res.status(404).json({ error: 'not found' });
      return;
    }
    res.json({
      ...deps.cache.status(),
      ttlMs: live.ttlMs,
      abControlPercent: live.abControlPercent,
      config: deps.configStatus?.() ?? null,
      estimates: deps.estimator?.curves() ?? null,
      source: deps.source.status(),
    });
  });

  app.get('/metrics/prom', async (_req, res) => {
    await deps.cache.refreshGauges();
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  const onError = errorHandler(deps.logger);
  app.use(onError);
  if (deps.hotReads ?? true) {
    dispatchHotReads(app, reads, {
      before: observeRequest,
      onError: (err, req, res) => onError(err, req, res, NOOP),
    });
  }
  return app;
}

const NOOP = () => {};

const healthConfig = (c: { lastResult: string; lastSuccessAt: string }) => ({
  lastReload: c.lastResult,
  lastSuccessAt: c.lastSuccessAt,
});

/**
 * Observes `http_request_duration_seconds` by route template (never the raw URL). One
 * `finish` listener shared by every response (it reads the response it is called on), not
 * a closure per request: on a cache hit the closure cost ~2 % of the throughput.
 */
function requestMetrics(metrics: Metrics): RequestHandler {
  const histogram = metrics.httpDuration;
  function observe(this: Response): void {
    const route = this.req.route?.path;
    const cell = histogram.cell({
      route: typeof route === 'string' ? route : UNMATCHED_ROUTE,
      method: this.req.method,
      status_class: statusClass(this.statusCode),
      variant: this.locals.variant ?? 'off',
    });
    histogram.observe(cell, (performance.now() - this.locals.requestStart) / 1000);
  }
  return (_req, res, next) => {
    res.locals.requestStart = performance.now();
    res.on('finish', observe);
    next();
  };
}

/** `status_class`: the code's first digit then `xx` (the usual classes without a new string). */
const STATUS_CLASS: readonly string[] = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];
const statusClass = (code: number): string => {
  const digit = Math.floor(code / 100);
  return STATUS_CLASS[digit] ?? `${digit}xx`;
};

/** Last handler: logs the error, never sends internal messages to clients. */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const status =
      typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status >= 500)
      logger.error('request failed', {
        method: req.method,
        path: req.path,
        err: String(err?.stack ?? err),
      });
    if (res.headersSent) return;
    res.status(status).json({ error: status >= 500 ? 'internal error' : 'bad request' });
  };
}
