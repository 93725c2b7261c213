import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpPromApi } from '../scripts/phase2/prom-api.ts';
import { buildReport, type ReportOptions } from '../scripts/phase2/report.ts';
import { DEMO_PATTERNS, syntheticHistory } from '../scripts/phase2/synthetic-history.ts';
import { DEFAULT_ESTIMATE_SIZES_BYTES } from '../service/metrics/names.ts';
import { freePort, requireBinary } from './helpers/prometheus.ts';

/**
 * End to end against a real `prometheus`: 9 days of synthetic history (5-minute samples,
 * a pod restart 4 days before the end, a 3-hour scrape outage 24 h before the end) are
 * backfilled with `promtool tsdb create-blocks-from openmetrics`, then the report queries it.
 */
const DAY = 86_400;
const END = Math.floor(Date.now() / 1000 / 300) * 300;
const GAP_FROM = END - DAY;
const GAP_TO = GAP_FROM + 3 * 3_600;
const MiB = 1_048_576;

const RULES: Omit<ReportOptions, 'end'> = {
  windowSeconds: 7 * DAY,
  minAccessesPerMin: 100,
  minHitRatio: 0.2,
  kneeTolerance: 0.02,
  hitLatencySeconds: 0.002,
  requiredDays: 7,
  maxGapHours: 1,
  requiredCandidates: 5,
  headroom: 1.5,
};

let dir = '';
let prom: ChildProcess | undefined;
let url = '';

function tsx(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/phase2-report.ts', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
    timeout: 60_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

beforeAll(async () => {
  const promtool = requireBinary('promtool');
  const prometheus = requireBinary('prometheus');
  dir = mkdtempSync(join(tmpdir(), 'phase2-report-'));
  const om = syntheticHistory({
    end: END,
    days: 9,
    intervalSeconds: 300,
    patterns: DEMO_PATTERNS,
    sizesBytes: DEFAULT_ESTIMATE_SIZES_BYTES,
    gaps: [[GAP_FROM, GAP_TO]],
    restartAt: END - 4 * DAY,
  });
  writeFileSync(join(dir, 'om.txt'), om);
  // Hidden promtool flag: few large blocks instead of one per 2 h (10x faster here).
  const made = spawnSync(
    promtool,
    ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=240h', 'om.txt', 'data'],
    { cwd: dir, encoding: 'utf8' },
  );
  if (made.status !== 0)
    throw new Error(`promtool create-blocks failed:\n${made.stdout}${made.stderr}`);
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\n');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  prom = spawn(
    prometheus,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--storage.tsdb.retention.time=60d',
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  prom.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  for (let i = 0; ; i++) {
    if (
      await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (i > 100 || prom.exitCode !== null)
      throw new Error(`prometheus did not become ready:\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  if (prom && prom.exitCode === null) {
    const exited = new Promise((r) => prom?.once('exit', r));
    prom.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('phase2-report against a real prometheus with 9 days of backfilled history', () => {
  it('finds the 5 candidates in order of latency saved, with rates, hit ratios, p95 and maxmemory', async () => {
    const r = await buildReport(httpPromApi(url), { ...RULES, end: END });
    expect(r.candidates.map((c) => c.pattern)).toEqual([
      'rows',
      'formula',
      'sheet',
      'comments',
      'user',
      'perm',
      'other',
    ]);
    expect(r.qualifying).toBe(5);
    expect(r.shortfall).toBeNull();
    const rows = r.candidates[0];
    expect(rows?.routes).toEqual(['/api/sheets/:id/rows']);
    expect(rows?.accessesPerMin).toBeCloseTo(600, -1); // within ±5 of 600
    expect(rows?.estimatedHitRatio).toBe(0.8); // 16 MiB is within 0.02 of 128 MiB's 0.81
    expect(rows?.recommendedSizeBytes).toBe(16 * MiB);
    expect(rows?.routeP95Seconds).toBeCloseTo(0.5 + 0.95 * 0.25, 3); // all in (0.5, 0.75]
    expect(rows?.routeMeanSeconds).toBeCloseTo(0.65, 3);
    expect(rows?.samplingRate).toBe(0.01);
    expect(rows?.latencySavedSecondsPerMin).toBeCloseTo(600 * 0.8 * 0.648, -1);
    expect(r.candidates.find((c) => c.pattern === 'perm')?.reasons).toEqual([
      '50.0 accesses/min < 100',
    ]);
    // Σ memory: rows 16 + formula 128 + sheet 10 (working set) + comments 5 + user 2 = 161 MiB × 1.5.
    expect(r.redis.dataBytes).toBe(161 * MiB);
    expect(r.redis.maxmemory).toBe('242mb');
    expect(r.phase3.map((s) => s.whitelist.join(','))).toEqual([
      'rows',
      'rows,formula',
      'rows,formula,sheet',
      'rows,formula,sheet,comments',
      'rows,formula,sheet,comments,user',
    ]);
  });

  it('reports the 3-hour outage as a gap: coverage criterion not met over the last 7 days', async () => {
    const r = await buildReport(httpPromApi(url), { ...RULES, end: END });
    expect(r.coverage.criterionMet).toBe(false);
    expect(r.coverage.gaps).toHaveLength(1);
    const g = r.coverage.gaps[0];
    expect(g?.hours).toBeGreaterThanOrEqual(2.8);
    expect(g?.hours).toBeLessThanOrEqual(3.4);
    expect(Math.abs(Date.parse(g?.from ?? '') / 1000 - GAP_FROM)).toBeLessThanOrEqual(
      r.coverage.stepSeconds,
    );
    expect(r.coverage.daysCollected).toBeGreaterThan(6.8);
    expect(r.coverage.daysCollected).toBeLessThan(6.9);
  });

  it('meets the coverage criterion over the 7 days before the outage', async () => {
    const r = await buildReport(httpPromApi(url), { ...RULES, end: GAP_FROM });
    expect(r.coverage.gaps).toEqual([]);
    expect(r.coverage.daysCollected).toBe(7);
    expect(r.coverage.criterionMet).toBe(true);
  });

  it('applies --matchers to every query: the staging namespace has it all, prod nothing', async () => {
    const staging = await buildReport(httpPromApi(url), {
      ...RULES,
      end: END,
      matchers: 'namespace="staging"',
    });
    expect(staging.qualifying).toBe(5);
    expect(staging.redis.maxmemory).toBe('242mb');
    await expect(
      buildReport(httpPromApi(url), { ...RULES, end: END, matchers: 'namespace="prod"' }),
    ).rejects.toThrow(
      /no cache metrics \(cache_hits_total, cache_miss_total with namespace="prod"\)/,
    );
  });

  it('says plainly why when fewer than 5 patterns qualify', async () => {
    const r = await buildReport(httpPromApi(url), { ...RULES, end: END, minHitRatio: 0.85 });
    expect(r.candidates.filter((c) => c.qualifies).map((c) => c.pattern)).toEqual([
      'sheet',
      'user',
    ]);
    expect(r.shortfall).toMatch(
      /^Only 2 of 7 key patterns qualify as candidates, fewer than the 5/,
    );
    expect(r.shortfall).toContain('rows: estimated hit ratio 0.80 < 0.85');
  });

  it('CLI writes Markdown and JSON (make phase2-report)', () => {
    const out = join(dir, 'out');
    const r = tsx(['--prom-url', url, '--window', '7d', '--end', String(GAP_FROM), '--out', out]);
    expect(r.out).toContain('5 candidates (met)');
    expect(r.code).toBe(0);
    const md = readFileSync(join(out, 'phase2-report.md'), 'utf8');
    for (const h of [
      '## Data coverage',
      '## Candidates',
      '## Redis sizing',
      '## Phase 3 plan: whitelist order',
    ])
      expect(md).toContain(h);
    expect(md).toContain('`maxmemory 242mb`');
    expect(md).toContain('**met**');
    const json = JSON.parse(readFileSync(join(out, 'phase2-report.json'), 'utf8')) as {
      qualifying: number;
    };
    expect(json.qualifying).toBe(5);
  });

  it('CLI fails clearly on an empty window (exit 3), an unreachable Prometheus (exit 2) and bad matchers (exit 1)', async () => {
    const empty = tsx([
      '--prom-url',
      url,
      '--end',
      String(END - 30 * DAY),
      '--out',
      join(dir, 'empty'),
    ]);
    expect(empty.out).toMatch(
      /no cache metrics \(cache_hits_total, cache_miss_total\) between .* is the service scraped/,
    );
    expect(empty.code).toBe(3);
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = tsx(['--prom-url', closed, '--out', join(dir, 'down')]);
    expect(down.out).toContain(`cannot reach Prometheus at ${closed}`);
    expect(down.code).toBe(2);
    const injected = tsx(['--prom-url', url, '--matchers', 'job="x"}) or vector(1']);
    expect(injected.out).toContain('--matchers must be label matchers');
    expect(injected.code).toBe(1);
  });
});
