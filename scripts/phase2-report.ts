import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { MONITORING_CONFIG } from '../monitoring/config.ts';
import { renderMarkdown } from './phase2/markdown.ts';
import { httpPromApi, PromApiError, parseDuration } from './phase2/prom-api.ts';
import { buildReport, EmptyWindowError, type ReportOptions } from './phase2/report.ts';
import { curveFileName, curveSvg } from './phase2/svg.ts';

/** The defaults, from the one monitoring config; the hot-pattern rate is the CandidateHot alert's. */
const P = MONITORING_CONFIG.phase2Report;
const DEFAULTS = {
  window: P.window,
  out: 'reports/phase2',
  'min-rate': String(MONITORING_CONFIG.candidateHot.accessesPerMinute),
  'min-hit-ratio': String(P.minHitRatio),
  'hit-latency-ms': String(P.hitLatencySeconds * 1000),
  headroom: String(P.headroom),
  'required-days': String(P.requiredDays),
  'max-gap-hours': String(P.maxGapHours),
  'required-candidates': String(P.requiredCandidates),
} as const;

const USAGE = `usage: make phase2-report PROM_URL=http://prometheus:9090 [WINDOW=${DEFAULTS.window}] [OUT=${DEFAULTS.out}]
   or: tsx scripts/phase2-report.ts --prom-url URL [--window ${DEFAULTS.window}] [--end ISO|unix] [--out DIR]
        [--min-rate ${DEFAULTS['min-rate']}] [--min-hit-ratio ${DEFAULTS['min-hit-ratio']}] [--hit-latency-ms ${DEFAULTS['hit-latency-ms']}] [--headroom ${DEFAULTS.headroom}]
        [--required-days ${DEFAULTS['required-days']}] [--max-gap-hours ${DEFAULTS['max-gap-hours']}] [--required-candidates ${DEFAULTS['required-candidates']}]
        [--matchers 'namespace="staging",job="${MONITORING_CONFIG.job}"']`;

/** Exit codes: 0 written, 1 bad arguments, 2 Prometheus unreachable or failing, 3 empty window. */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  let opts: ReportOptions;
  let promUrl: string;
  let outDir: string;
  try {
    const { values: v } = parseArgs({
      args: [...argv],
      options: {
        'prom-url': { type: 'string' },
        window: { type: 'string', default: DEFAULTS.window },
        end: { type: 'string' },
        out: { type: 'string', default: DEFAULTS.out },
        'min-rate': { type: 'string', default: DEFAULTS['min-rate'] },
        'min-hit-ratio': { type: 'string', default: DEFAULTS['min-hit-ratio'] },
        'hit-latency-ms': { type: 'string', default: DEFAULTS['hit-latency-ms'] },
        headroom: { type: 'string', default: DEFAULTS.headroom },
        'required-days': { type: 'string', default: DEFAULTS['required-days'] },
        'max-gap-hours': { type: 'string', default: DEFAULTS['max-gap-hours'] },
        'required-candidates': { type: 'string', default: DEFAULTS['required-candidates'] },
        matchers: { type: 'string', default: '' },
      },
    });
    promUrl = v['prom-url'] ?? env.PROM_URL ?? '';
    if (!/^https?:\/\/\S+$/.test(promUrl))
      throw new Error(`--prom-url (or PROM_URL) must be an http(s) URL, got "${promUrl}"`);
    outDir = resolve(v.out);
    opts = {
      end: parseEnd(v.end),
      windowSeconds: parseDuration(v.window),
      minAccessesPerMin: positive('--min-rate', v['min-rate']),
      minHitRatio: positive('--min-hit-ratio', v['min-hit-ratio']),
      kneeTolerance: P.kneeTolerance,
      hitLatencySeconds: positive('--hit-latency-ms', v['hit-latency-ms']) / 1000,
      headroom: positive('--headroom', v.headroom),
      requiredDays: positive('--required-days', v['required-days']),
      maxGapHours: positive('--max-gap-hours', v['max-gap-hours']),
      requiredCandidates: positive('--required-candidates', v['required-candidates']),
      matchers: matchersOf(v.matchers),
    };
  } catch (err) {
    console.error(`phase2-report: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 1;
  }
  try {
    const report = await buildReport(httpPromApi(promUrl), opts);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'phase2-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(outDir, 'phase2-report.md'), renderMarkdown(report));
    for (const c of report.candidates) {
      if (!c.qualifies) continue;
      const share = report.redis?.shares.find((s) => s.pattern === c.pattern);
      const svg = curveSvg(c, share?.allottedBytes ?? null);
      if (svg) writeFileSync(join(outDir, curveFileName(c.pattern)), svg);
    }
    const c = report.coverage;
    console.log(
      `phase2-report: wrote ${join(outDir, 'phase2-report.md')} and .json — ${c.collected} of data ` +
        `(${c.criterionMet ? 'coverage met' : 'coverage NOT met'}), ${report.qualifying} candidates ` +
        `(${report.qualifying >= opts.requiredCandidates ? 'met' : 'NOT met'}), maxmemory ${report.redis?.maxmemory ?? 'n/a'}${report.cachePatterns ? `, CACHE_PATTERNS=${report.cachePatterns}` : ''}`,
    );
    return 0;
  } catch (err) {
    if (err instanceof EmptyWindowError) {
      console.error(`phase2-report: ${err.message}`);
      return 3;
    }
    if (err instanceof PromApiError) {
      console.error(`phase2-report: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

function parseEnd(text: string | undefined): number {
  if (text === undefined) return Math.floor(Date.now() / 1000);
  const t = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Date.parse(text) / 1000;
  if (!Number.isFinite(t))
    throw new Error(`--end must be an ISO date or unix seconds, got "${text}"`);
  return t;
}

/** `a="x",b=~"y"`: label matchers only, so nothing else can be injected into the PromQL. */
function matchersOf(text: string): string {
  const one = /^\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"\s*$/;
  const parts =
    text.trim() === '' ? [] : text.split(/,(?=\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=|!=|=~|!~)\s*")/);
  if (!parts.every((p) => one.test(p))) {
    throw new Error(
      `--matchers must be label matchers like namespace="staging",job="api", got '${text}'`,
    );
  }
  return parts.map((p) => p.trim()).join(',');
}

function positive(name: string, text: string): number {
  const x = Number(text);
  if (!(Number.isFinite(x) && x > 0))
    throw new Error(`${name} must be a positive number, got "${text}"`);
  return x;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2), process.env);
}
