import { Registry } from 'prom-client';
import type { GracePolicy } from '../../service/api/grace.ts';
import { type AppDeps, createApp } from '../../service/app.ts';
import { assembleDeps } from '../../service/build.ts';
import type { Cache } from '../../service/cache/cache.ts';
import type { LoadLock } from '../../service/cache/load-lock.ts';
import { silentLogger } from '../../service/logger.ts';
import { createMetrics } from '../../service/metrics/registry.ts';
import { MetaSheetSource, type SourceOptions } from '../../service/source/metasheet-source.ts';

/** Options of `buildTestApp`. */
export interface TestAppOptions {
  readonly cache?: Cache;
  readonly enabled?: boolean;
  readonly nodeEnv?: AppDeps['nodeEnv'];
  readonly abControlPercent?: number;
  readonly whitelist?: readonly string[];
  /** Source latency scale; 0 answers at once. @default 0 */
  readonly latencyScale?: number;
  /** More source options (timeout, faults, clocks). @default none */
  readonly source?: Omit<SourceOptions, 'latencyScale'>;
  /** TTL of cached values. @default 300_000 */
  readonly ttlMs?: number;
  readonly grace?: GracePolicy;
  readonly loadLock?: LoadLock;
  /** Wall clock for fresh times and the source's outage window. @default Date.now */
  readonly now?: () => number;
  /** API GETs before Express' router (`dispatchHotReads`). @default true, as the service */
  readonly hotReads?: boolean;
}

/**
 * The app with fresh, injected dependencies (own registry, no port), for supertest: the
 * service's own wiring (`assembleDeps`, as `buildDeps` uses it), given test overrides.
 */
export function buildTestApp(o: TestAppOptions = {}) {
  const deps = assembleDeps({
    metrics: createMetrics(new Registry()),
    logger: silentLogger,
    source: new MetaSheetSource({
      ...(o.now ? { now: o.now } : {}),
      ...o.source,
      latencyScale: o.latencyScale ?? 0,
    }),
    enabled: o.enabled ?? true,
    whitelist: o.whitelist ?? null,
    ...(o.cache ? { initial: o.cache } : {}),
    nodeEnv: o.nodeEnv ?? 'test',
    abControlPercent: o.abControlPercent ?? 0,
    ...(o.ttlMs !== undefined ? { ttlMs: o.ttlMs } : {}),
    ...(o.grace ? { grace: o.grace } : {}),
    ...(o.loadLock ? { loadLock: o.loadLock } : {}),
    ...(o.now ? { now: o.now, wallNow: o.now } : {}),
  });
  return {
    app: createApp({ ...deps, ...(o.hotReads !== undefined ? { hotReads: o.hotReads } : {}) }),
    ...deps,
  };
}
