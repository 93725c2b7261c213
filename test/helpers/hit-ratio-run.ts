import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runLoad } from '../../scripts/loadgen/run-load.ts';
import type { Cache } from '../../service/cache/cache.ts';
import { buildTestApp } from './build-test-app.ts';

/**
 * Traffic of the early-refresh proof: `rows` is the hottest pattern (70 %); 10 ids, Zipf α 1,
 * so at 200 req/s even the coldest id is read ~5 times a second. With 20 ids the tail ids
 * were at times not read for a whole TTL (1.5 s), and a key nobody reads within its TTL
 * expires whatever refreshes it early: those misses are the TTL's, not the refresh rule's.
 */
export const EARLY_REFRESH_MIX = [
  { method: 'GET', path: '/api/sheets/:id/rows', weight: 70 },
  { method: 'GET', path: '/api/users/:id', weight: 30 },
] as const;
export const HOT_PATTERN = 'rows';

const KEYS = 10;

function counts(built: ReturnType<typeof buildTestApp>): { hits: number; misses: number } {
  const p = built.cache.status().patterns.find((x) => x.pattern === HOT_PATTERN);
  if (!p) throw new Error(`no statistics for ${HOT_PATTERN}`);
  return { hits: p.hits, misses: p.misses };
}

export interface HitRatioRun {
  readonly hitRatio: number;
  readonly gets: number;
  readonly loads: number;
  readonly failed: number;
}

/**
 * Drives one fresh app (the given cache, source latency scale 0.2: rows load in ~100–160 ms)
 * with the same seeded traffic and returns the hottest pattern's hit ratio over the run.
 * Every id is loaded once first and the run is measured from there, so cold-start misses
 * (and how many requests happened to collapse onto them) do not blur the comparison:
 * what is left is what expiry costs.
 */
export async function hitRatioRun(o: {
  cache: Cache;
  ttlMs: number;
  beta: number;
  durationMs: number;
  rate?: number;
}): Promise<HitRatioRun> {
  const built = buildTestApp({
    cache: o.cache,
    latencyScale: 0.2,
    ttlMs: o.ttlMs,
    grace: { graceMs: 0, softTimeoutMs: 1500, earlyRefreshBeta: o.beta },
  });
  const server = createServer(built.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const warm = EARLY_REFRESH_MIX.flatMap((t) =>
      Array.from({ length: KEYS }, (_, i) => fetch(url + t.path.replace(':id', String(i + 1)))),
    );
    for (const res of await Promise.all(warm)) await res.arrayBuffer();
    const before = counts(built);
    const loadsBefore = built.source.loads.rows;
    const stats = await runLoad({
      url,
      durationMs: o.durationMs,
      rate: o.rate ?? 200,
      keys: KEYS,
      alpha: 1,
      seed: 7,
      mix: EARLY_REFRESH_MIX,
    });
    const after = counts(built);
    const hits = after.hits - before.hits;
    const gets = hits + after.misses - before.misses;
    return {
      hitRatio: hits / gets,
      gets,
      loads: built.source.loads.rows - loadsBefore,
      failed: stats.failed,
    };
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await built.cache.close();
  }
}
