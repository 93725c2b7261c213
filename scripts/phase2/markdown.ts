import type { Phase2Report } from './report.ts';
import { curveFileName } from './svg.ts';

const mib = (b: number | null) =>
  b === null
    ? 'n/a'
    : b >= 1_048_576
      ? `${(b / 1_048_576).toFixed(2)} MiB`
      : `${(b / 1_024).toFixed(1)} KiB`;
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
    `- Data with cache metrics: **${c.collected}** (${c.daysCollected} days; criterion: ≥ ${c.requiredDays} days, no gap over ${c.maxGapHours} h) — **${c.criterionMet ? 'met' : 'NOT met'}**.`,
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
      `The recommended size is the smallest Redis memory within ${r.rules.kneeTolerance} of the pattern's best hit ratio, read off its whole curve; ` +
      'memory is Redis bytes (keys with the prefix, values, TTLs, tag sets, allocator classes), not JSON bytes. ' +
      `The hit ratio is what Phase 3 should measure under the recommended \`maxmemory\`. Latency saved = accesses/min × hit ratio × (route mean − ${ms(r.rules.hitLatencySeconds)} per hit), in seconds of request time per minute.`,
    '',
    '| # | pattern | routes | accesses/min | recommended size | Redis memory | est. hit ratio | best hit ratio | route p95 | route mean | latency saved (s/min) | candidate |',
    '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  r.candidates.forEach((x, i) => {
    const saved =
      x.latencySavedSecondsPerMin === null ? 'n/a' : x.latencySavedSecondsPerMin.toFixed(1);
    const verdict = x.qualifies ? 'yes' : `no: ${x.reasons.join('; ')}`;
    out.push(
      `| ${i + 1} | \`${x.pattern}\` | ${x.routes.map((r) => `\`${r}\``).join(', ') || '—'} | ${num(x.accessesPerMin)} | ${mib(x.recommendedSizeBytes)} | ${mib(x.memoryBytes)} | ${pct(x.estimatedHitRatio)} | ${pct(x.maxHitRatio)} | ${ms(x.routeP95Seconds)} | ${ms(x.routeMeanSeconds)} | ${saved} | ${verdict} |`,
    );
  });
  out.push(
    '',
    r.shortfall ??
      `**${r.qualifying} candidates qualify** (criterion: ≥ ${r.rules.requiredCandidates}).`,
    '',
  );
  const curves = r.candidates.filter((x) => x.qualifies && x.curve.length > 1);
  if (curves.length > 0) {
    out.push('### Hit ratio against Redis memory', '');
    for (const x of curves) out.push(`![${x.pattern}](${curveFileName(x.pattern)})`, '');
  }
  out.push('## Redis sizing', '');
  const z = r.redis;
  if (z === null) out.push('No pattern qualifies, so there is no `maxmemory` to recommend yet.');
  else {
    out.push(
      'Phase 3 configuration (one Redis shared by every replica):',
      '',
      '```',
      `maxmemory ${z.maxmemory}`,
      `maxmemory-policy ${z.maxmemoryPolicy}`,
      `maxmemory-samples ${z.maxmemorySamples}`,
      `CACHE_PATTERNS=${r.cachePatterns}`,
      '```',
      '',
      `- \`maxmemory\` ${mib(z.maxmemoryBytes)} = (${mib(z.dataBytes)} for the patterns at their recommended sizes, shared tag sets counted once + ${mib(z.hashTableBytes)} of hash tables + ${mib(z.baselineBytes)} of an empty Redis) × ${z.headroom} headroom, rounded up to 64 KiB.`,
      `- Predicted \`used_memory\` once warm: **${mib(z.predictedUsedMemoryBytes)}** ${z.evicting ? '(Redis full: the working sets do not fit, it evicts)' : '(every working set fits: no eviction)'}.`,
      `- Assumed eviction: \`${z.maxmemoryPolicy}\`, Redis' sampled LRU (\`maxmemory-samples ${z.maxmemorySamples}\`).`,
    );
  }
  if (r.replicas.assumed !== null) {
    out.push(
      `- Replicas: ${r.replicas.pods} pod(s) reported; their estimators modelled ${r.replicas.assumed} replica(s) sharing this Redis.`,
    );
  }
  if (r.warnings.length > 0) {
    out.push('', '**Warnings**', '', ...r.warnings.map((w) => `- ${w}`));
  }
  out.push('', '## Phase 3 plan: whitelist order', '');
  if (r.phase3.length === 0) out.push('Nothing to roll out until a pattern qualifies.');
  else {
    out.push(
      'Widen `CACHE_PATTERNS` one pattern at a time, largest saving first, with `CACHE_AB_CONTROL_PERCENT` (e.g. 10) so each step proves its latency win (treatment vs control p95) before the next:',
      '',
      '| step | add | CACHE_PATTERNS | Redis data (recommended sizes) | latency saved (s/min, cumulative) |',
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
    "_Estimates come from the service's online miss-ratio curves (SHARDS per pod, with TTLs, deletes and tag invalidations; `cache_estimated_hits_total` / `cache_estimated_gets_total` over this window, summed across pods), not from a real cache. Each pod models the Redis all replicas share (its TTLs stretched by `ESTIMATOR_REPLICAS`, its traffic being that share of the whole)._",
    '',
  );
  return out.join('\n');
}
