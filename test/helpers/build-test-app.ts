import { Registry } from 'prom-client';
import type { GracePolicy } from '../../service/api/grace.ts';
import { API_KEY_PATTERNS } from '../../service/api/routes-table.ts';
import { API_VALUE_POLICY } from '../../service/api/value-shapes.ts';
import { type AppDeps, createApp } from '../../service/app.ts';
import type { Cache } from '../../service/cache/cache.ts';
import { KeyPatternExtractor } from '../../service/cache/key-pattern.ts';
import type { LoadLock } from '../../service/cache/load-lock.ts';
import { CacheRegistry } from '../../service/cache/registry.ts';
import { CacheStats } from '../../service/cache/stats.ts';
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
}

/** The app with fresh, injected dependencies (own registry, no port), for supertest. */
export function buildTestApp(o: TestAppOptions = {}) {
  const metrics = createMetrics(new Registry());
  const cache = new CacheRegistry({
    metrics,
    patterns: new KeyPatternExtractor({ known: API_KEY_PATTERNS }),
    stats: new CacheStats(),
    enabled: o.enabled ?? true,
    whitelist: o.whitelist ?? null,
    values: API_VALUE_POLICY,
    ...(o.cache ? { initial: o.cache } : {}),
    ...(o.now ? { wallNow: o.now } : {}),
  });
  const source = new MetaSheetSource({
    ...(o.now ? { now: o.now } : {}),
    ...o.source,
    latencyScale: o.latencyScale ?? 0,
  });
  const deps: AppDeps = {
    cache,
    metrics,
    source,
    logger: silentLogger,
    nodeEnv: o.nodeEnv ?? 'test',
    abControlPercent: o.abControlPercent ?? 0,
    ...(o.ttlMs !== undefined ? { ttlMs: o.ttlMs } : {}),
    ...(o.grace ? { grace: o.grace } : {}),
    ...(o.loadLock ? { loadLock: o.loadLock } : {}),
    ...(o.now ? { now: o.now } : {}),
  };
  return { app: createApp(deps), ...deps };
}
