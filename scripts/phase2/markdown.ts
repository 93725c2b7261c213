import type { Phase2Report } from './report.ts';

const mib = (b: number | null) => (b === null ? 'n/a' : `${(b / 1_048_576).toFixed(1)} MiB`);
const pct = (x: number | null) => (x === null ? 'n/a' : `${(100 * x).toFixed(1)} %`);
const ms = (s: number | null) => (s === null ? 'n/a' : `${Math.round(s * 1000)} ms`);
const num = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));

/** The report as Markdown, in reading order: coverage, candidates, Redis sizing, Phase 3 plan. */
export function renderMarkdown(r: Phase2Report): string {
  const c = r.coverage;
  const out: string[] = [
    '# Phase 2 report: cache candidates',
    '',
    `Generated ${r.generatedAt} from ${r.prometheus}, window ${c.windowStart} → ${c.windowEnd}.`,
    '',
    '## Data coverage',
    '',
    `- Days with cache metrics: **${c.daysCollected}** (criterion: ≥ ${c.requiredDays} days, no gap over ${c.maxGapHours} h) — **${c.criterionMet ? 'met' : 'NOT met'}**.`,
    `- First covered step: ${c.firstSample ?? 'none'}; last: ${c.lastSample ?? 'none'} (steps of ${c.stepSeconds} s).`,
  ];
  if (c.gaps.length === 0) out.push('- Gaps: none.');
  else {
    out.push(`- Gaps (${c.gaps.length}):`, '');
    out.push('| from | to | hours |', '|---|---|---:|');
    for (const g of c.gaps) out.push(`| ${g.from} | ${g.to} | ${g.hours} |`);
  }
  out.push(
    '',
    '## Candidates',
    '',
    `A candidate has ≥ ${r.rules.minAccessesPerMin} accesses/min, an estimated hit ratio ≥ ${r.rules.minHitRatio} at its recommended size, and routes to speed up. ` +
      `Latency saved = accesses/min × hit ratio × (route mean − ${ms(r.rules.hitLatencySeconds)} per hit), in seconds of request time per minute.`,
    '',
    '| # | pattern | routes | accesses/min | recommended size | Redis memory | est. hit ratio | route p95 | route mean | latency saved (s/min) | candidate |',
    '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  r.candidates.forEach((x, i) => {
    const saved =
      x.latencySavedSecondsPerMin === null ? 'n/a' : x.latencySavedSecondsPerMin.toFixed(1);
    const verdict = x.qualifies ? 'yes' : `no: ${x.reasons.join('; ')}`;
    out.push(
      `| ${i + 1} | \`${x.pattern}\` | ${x.routes.map((r) => `\`${r}\``).join(', ') || '—'} | ${num(x.accessesPerMin)} | ${mib(x.recommendedSizeBytes)} | ${mib(x.memoryBytes)} | ${pct(x.estimatedHitRatio)} | ${ms(x.routeP95Seconds)} | ${ms(x.routeMeanSeconds)} | ${saved} | ${verdict} |`,
    );
  });
  out.push(
    '',
    r.shortfall ??
      `**${r.qualifying} candidates qualify** (criterion: ≥ ${r.rules.requiredCandidates}).`,
    '',
  );
  out.push('## Redis sizing', '');
  if (r.redis.maxmemory === null)
    out.push('No pattern qualifies, so there is no `maxmemory` to recommend yet.');
  else {
    out.push(
      `Recommended \`maxmemory ${r.redis.maxmemory}\`: ${mib(r.redis.dataBytes)} of values for the qualifying patterns (each at its recommended size, or its working set when smaller) × ${r.redis.headroom} headroom for keys, per-entry overhead and fragmentation, rounded up to a MiB.`,
    );
  }
  out.push('', '## Phase 3 plan: whitelist order', '');
  if (r.phase3.length === 0) out.push('Nothing to roll out until a pattern qualifies.');
  else {
    out.push(
      'Widen `CACHE_PATTERNS` one pattern at a time, largest saving first, with `CACHE_AB_CONTROL_PERCENT` (e.g. 10) so each step proves its latency win (treatment vs control p95) before the next:',
      '',
      '| step | add | CACHE_PATTERNS | Redis data | latency saved (s/min, cumulative) |',
      '|---:|---|---|---:|---:|',
    );
    for (const s of r.phase3) {
      out.push(
        `| ${s.step} | \`${s.pattern}\` | \`${s.whitelist.join(',')}\` | ${mib(s.cumulativeMemoryBytes)} | ${s.cumulativeLatencySavedSecondsPerMin.toFixed(1)} |`,
      );
    }
  }
  out.push(
    '',
    "_Estimates come from the service's online miss-ratio curves (SHARDS, per pod, cumulative since each pod started; `cache_estimated_hit_ratio_by_bytes`), not from a real cache. A shared Redis sees all pods' traffic, so its hit ratio can be somewhat higher than a single pod's estimate._",
    '',
  );
  return out.join('\n');
}
