import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/helpers/build-test-app.ts';
import { samples } from '../../test/helpers/metrics-reader.ts';
import { METRICS } from '../metrics/names.ts';
import { MemoryCache } from './memory-cache.ts';
import { CACHE_ERROR_TYPES } from './result.ts';

const series = async (reg: ReturnType<typeof buildTestApp>['metrics']['registry'], name: string) =>
  (await samples(reg, name)).map((s) => `${Object.values(s.labels).join(',')}=${s.value}`).sort();

describe('counter series initialised at start (0, not absent)', () => {
  it('every error_type of the active implementation, before any error', async () => {
    const { metrics } = buildTestApp({ cache: new MemoryCache() });
    expect(await series(metrics.registry, METRICS.cacheErrors.name)).toEqual(
      CACHE_ERROR_TYPES.map((t) => `memory,${t}=0`).sort(),
    );
  });

  it('the operation counters of the known patterns on the implementation that serves each', async () => {
    const { metrics } = buildTestApp({ cache: new MemoryCache(), whitelist: ['sheet'] });
    const hits = await series(metrics.registry, METRICS.cacheHits.name);
    expect(hits).toContain('memory,sheet=0');
    expect(hits).toContain('null,user=0');
    expect(hits).not.toContain('memory,user=0');
    expect(hits.every((h) => h.endsWith('=0'))).toBe(true);
  });

  it('nothing while FEATURE_CACHE is off; the series appear when it is turned on', async () => {
    const { metrics, cache } = buildTestApp({ cache: new MemoryCache(), enabled: false });
    expect(await series(metrics.registry, METRICS.cacheErrors.name)).toEqual([]);
    expect(await series(metrics.registry, METRICS.cacheMisses.name)).toEqual([]);
    cache.setEnabled(true);
    expect(await series(metrics.registry, METRICS.cacheErrors.name)).toHaveLength(
      CACHE_ERROR_TYPES.length,
    );
  });
});
