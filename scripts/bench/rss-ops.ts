/**
 * RSS over 1M read-through requests' worth of cache operations in one process: the
 * service's cache stack as buildDeps makes it (instrumented, estimator on, its metrics on a
 * ScrapeRegistry) over NullCache, or over RedisCache with `--redis` (batched gets and
 * sets on the shared Redis, own key prefix, deleted at the end), with a scrape every 10,000
 * requests. Prints RSS and heap after a forced GC at each 10 % so a leak shows as a trend.
 *
 *   node --expose-gc --import tsx scripts/bench/rss-ops.ts [--redis] [--requests 1000000]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { buildDeps } from '../../service/build.ts';
import { loadConfig } from '../../service/config.ts';
import { seededRandom } from '../../service/estimator/synthetic-traces.ts';
import { silentLogger } from '../../service/logger.ts';

const { values } = parseArgs({
  options: {
    redis: { type: 'boolean', default: false },
    requests: { type: 'string', default: '1000000' },
    inflight: { type: 'string', default: '200' },
  },
});
const requests = Number(values.requests);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const prefix = `rss-ops:${process.pid}:${randomBytes(4).toString('hex')}:`;
const deps = buildDeps(
  loadConfig({
    NODE_ENV: 'test',
    SOURCE_LATENCY_SCALE: '0',
    FEATURE_CACHE: 'true',
    CACHE_IMPL: values.redis ? 'redis' : 'null',
    REDIS_KEY_PREFIX: prefix,
    REDIS_TIMEOUT_MS: '1000',
  }),
  silentLogger,
);
// RedisCache connects in the background: wait until a get goes through.
for (let t = Date.now(); !(await deps.cache.get('warm:up')).ok; ) {
  if (Date.now() - t > 10_000) throw new Error('the cache did not answer within 10 s');
  await new Promise((r) => setTimeout(r, 50));
}
const rnd = seededRandom(3);
const mib = (b: number) => (b / 1048576).toFixed(1);
let done = 0;
let failed = 0;
const t0 = performance.now();
console.log(`requests  rss MiB  heap MiB  (${values.redis ? 'RedisCache' : 'NullCache'})`);
const report = () => {
  gc();
  const m = process.memoryUsage();
  console.log(
    `${String(done).padStart(8)}  ${mib(m.rss).padStart(7)}  ${mib(m.heapUsed).padStart(8)}`,
  );
};
report();
await Promise.all(
  Array.from({ length: Number(values.inflight) }, async () => {
    while (done < requests) {
      const i = done++;
      // 40 patterns, Zipf-ish keys (1/u), 1 owner tag; a write (PUT) per 100 reads.
      const key = `p${i % 40}:${Math.floor(200_000 ** rnd())}`;
      if (i % 100 === 99) {
        const r = await deps.cache.invalidateTag(`owner:${i % 997}`);
        if (!r.ok) failed++;
      } else {
        const r = await deps.cache.get(key);
        if (!r.ok) failed++;
        else if (r.value === undefined) {
          const s = await deps.cache.set(
            key,
            { key, cells: 'x'.repeat(100 + (i % 400)) },
            { ttlMs: 60_000, tags: [`owner:${i % 997}`] },
          );
          if (!s.ok) failed++;
        }
      }
      if (i % 10_000 === 0)
        await deps.cache.refreshGauges().then(() => deps.metrics.registry.metrics());
      if (i > 0 && i % (requests / 10) === 0) report();
    }
  }),
);
report();
console.log(
  `${requests} requests in ${((performance.now() - t0) / 1000).toFixed(0)} s, ${failed} failed`,
);
await deps.cache.close();
if (values.redis) {
  const { createClient } = await import('redis');
  const c = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
  await c.connect();
  for await (const keys of c.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    if (keys.length > 0) await c.unlink(keys);
  }
  c.destroy();
}
