import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { buildDeps } from '../build.ts';
import { loadConfig } from '../config.ts';
import { silentLogger } from '../logger.ts';
import { METRICS } from '../metrics/names.ts';
import type { PatternCurve } from './estimator.ts';

function appWith(env: Record<string, string>) {
  const config = loadConfig({ NODE_ENV: 'test', SOURCE_LATENCY_SCALE: '0', ...env });
  return createApp(buildDeps(config, silentLogger));
}

describe('the estimator in the service (buildDeps + createApp, NullCache)', () => {
  it("GET /internal/cache shows each pattern's curve: 4 of 6 reads of 2 alternating sheets hit with 2 entries, none with 1", async () => {
    const app = appWith({ FEATURE_CACHE: 'true', CACHE_IMPL: 'null' });
    for (const id of [1, 2, 1, 2, 1, 2]) await request(app).get(`/api/sheets/${id}`).expect(200);
    await request(app).get('/api/users/7').expect(200);
    const res = await request(app).get('/internal/cache').expect(200);
    const estimates = res.body.estimates as PatternCurve[];
    const sheet = estimates.find((e) => e.pattern === 'sheet');
    expect(sheet?.gets).toBe(6);
    expect(sheet?.samplingRate).toBe(1);
    expect(sheet?.workingSet.entries).toBe(2);
    // LRU of 1 entry: the two sheets alternate, nothing hits; of 2: all but the 2 cold misses.
    expect(sheet?.curve.entries.slice(0, 2)).toEqual([
      { size: 1, hitRatio: 0 },
      { size: 2, hitRatio: 0.6667 },
    ]);
    expect(estimates.find((e) => e.pattern === 'user')?.gets).toBe(1);
  });

  it('GET /metrics/prom exports the estimator gauges at scrape time', async () => {
    const app = appWith({ FEATURE_CACHE: 'true', CACHE_IMPL: 'null' });
    for (let i = 0; i < 3; i++) await request(app).get('/api/users/9').expect(200);
    const text = (await request(app).get('/metrics/prom').expect(200)).text;
    expect(text).toContain(
      `${METRICS.estimatedHitRatio.name}{key_pattern="user",size_entries="100"} 0.6667`,
    );
    expect(text).toContain(
      `${METRICS.estimatedHitRatioBytes.name}{key_pattern="user",size_bytes="1048576"} 0.6667`,
    );
    expect(text).toMatch(
      new RegExp(`${METRICS.estimatedWorkingSetBytes.name}\\{key_pattern="user"\\} [1-9]\\d*`),
    );
    expect(text).toContain(`${METRICS.estimatorSamplingRate.name}{key_pattern="user"} 1`);
  });

  it('observes nothing with FEATURE_CACHE=false (no estimates, no samples) until the flag is turned on at run time', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      SOURCE_LATENCY_SCALE: '0',
      FEATURE_CACHE: 'false',
    });
    const deps = buildDeps(config, silentLogger);
    const app = createApp(deps);
    await request(app).get('/api/users/9').expect(200);
    expect((await request(app).get('/internal/cache').expect(200)).body.estimates).toEqual([]);
    const samples = (text: string) =>
      text.split('\n').filter((l) => l.startsWith(METRICS.estimatedHitRatio.name));
    expect(samples((await request(app).get('/metrics/prom').expect(200)).text)).toEqual([]);
    // A config reload turning FEATURE_CACHE on (what CACHE_CONFIG_FILE does) starts it.
    deps.cache.setEnabled(true);
    await request(app).get('/api/users/9').expect(200);
    expect(samples((await request(app).get('/metrics/prom').expect(200)).text)).toContain(
      `${METRICS.estimatedHitRatio.name}{key_pattern="user",size_entries="100"} 0`,
    );
  });
});
