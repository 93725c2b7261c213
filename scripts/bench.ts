import { Counter, Registry } from 'prom-client';
import { InstrumentedCache } from '../service/cache/instrumented.ts';
import { KeyPatternExtractor } from '../service/cache/key-pattern.ts';
import { MemoryCache } from '../service/cache/memory-cache.ts';
import { NullCache } from '../service/cache/null-cache.ts';
import { CacheStats } from '../service/cache/stats.ts';
import { createMetrics } from '../service/metrics/registry.ts';
import { measure, report } from './bench/measure.ts';

/**
 * `make bench`, part 1: the cost of the instrumentation layer. Every figure is measured
 * in this run: bare Map.get and one labelled prom-client counter increment are the
 * baselines; the target is an instrumented get ≤ 2× one labelled increment.
 */
async function main(): Promise<void> {
  const KEYS = 1_000;
  const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}`);
  const map = new Map(keys.map((k, i) => [k, { id: i }]));
  const counter = new Counter({
    name: 'bench_total',
    help: 'bench',
    labelNames: ['impl', 'key_pattern'],
    registers: [new Registry()],
  });
  const deps = () => ({
    metrics: createMetrics(new Registry(), { defaultMetrics: false }),
    patterns: new KeyPatternExtractor(),
    stats: new CacheStats(),
  });
  const bareNull = new NullCache();
  const bareMemory = new MemoryCache({ maxEntries: KEYS * 2 });
  const instNull = new InstrumentedCache(new NullCache(), deps());
  const memory = new MemoryCache({ maxEntries: KEYS * 2 });
  const instMemory = new InstrumentedCache(memory, deps());
  for (const k of keys) {
    await memory.set(k, { id: k }, { ttlMs: 3_600_000 });
    await bareMemory.set(k, { id: k }, { ttlMs: 3_600_000 });
  }
  const key = (i: number) => keys[i % KEYS] as string;

  const mapGet = await measure('Map.get', (i) => map.get(key(i)));
  const inc = await measure('counter.inc({impl,key_pattern})', () =>
    counter.inc({ impl: 'null', key_pattern: 'user' }),
  );
  const rows = [
    mapGet,
    inc,
    await measure('NullCache.get (bare, awaited)', (i) => bareNull.get(key(i))),
    await measure('NullCache.get (instrumented)', (i) => instNull.get(key(i))),
    await measure('MemoryCache.get hit (bare)', (i) => bareMemory.get(key(i))),
    await measure('MemoryCache.get hit (instrumented)', (i) => instMemory.get(key(i))),
  ];
  report('Instrumentation cost, ratio to one labelled counter increment', rows, inc);
  report('Same figures, ratio to bare Map.get', rows, mapGet);
  const overhead =
    ((rows[5]?.nsPerOp ?? Number.NaN) - (rows[4]?.nsPerOp ?? Number.NaN)) / inc.nsPerOp;
  process.stdout.write(
    `\nInstrumentation overhead on a MemoryCache hit (instrumented − bare) = ${overhead.toFixed(2)}× one labelled increment\n`,
  );
  const instNullRatio = (rows[3]?.nsPerOp ?? Number.NaN) / inc.nsPerOp;
  const verdict = instNullRatio <= 2 ? 'meets' : 'MISSES';
  process.stdout.write(
    `\nInstrumented NullCache.get = ${instNullRatio.toFixed(2)}× one labelled increment: ${verdict} the ≤ 2× target\n`,
  );
}

await main();
