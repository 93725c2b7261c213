import { Registry } from 'prom-client';
import { API_KEY_PATTERNS } from '../api/routes-table.ts';
import { API_VALUE_POLICY } from '../api/value-shapes.ts';
import { type AppDeps, createApp } from '../app.ts';
import type { Cache } from '../cache/cache.ts';
import { KeyPatternExtractor } from '../cache/key-pattern.ts';
import { CacheRegistry } from '../cache/registry.ts';
import { CacheStats } from '../cache/stats.ts';
import { silentLogger } from '../logger.ts';
import { createMetrics } from '../metrics/registry.ts';
import { MetaSheetSource } from '../source/metasheet-source.ts';

/** Options of `buildTestApp`. */
export interface TestAppOptions {
  readonly cache?: Cache;
  readonly enabled?: boolean;
  readonly nodeEnv?: AppDeps['nodeEnv'];
  readonly abControlPercent?: number;
  readonly whitelist?: readonly string[];
  /** Source latency scale; 0 answers at once. @default 0 */
  readonly latencyScale?: number;
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
  });
  const source = new MetaSheetSource({ latencyScale: o.latencyScale ?? 0 });
  const deps: AppDeps = {
    cache,
    metrics,
    source,
    logger: silentLogger,
    nodeEnv: o.nodeEnv ?? 'test',
    abControlPercent: o.abControlPercent ?? 0,
  };
  return { app: createApp(deps), ...deps };
}
