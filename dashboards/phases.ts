/**
 * Which rollout phase each dashboard panel is meant for: in those phases every query of
 * the panel must return data (asserted on a real Prometheus by test/prometheus-e2e.test.ts).
 * Outside them a panel may be empty; with FEATURE_CACHE=false the dashboard's
 * "Cache enabled" stat says why.
 */
import type { GeneratedDashboard } from './index.ts';

/** The phases the dashboards are looked at in. */
export const PHASES = {
  observe: 'Phase 1/2: FEATURE_CACHE=true, CACHE_IMPL=null',
  rollout: 'Phase 3: CACHE_IMPL=redis, whitelist + A/B split',
  redisDown: 'Phase 3 with Redis down',
  off: 'FEATURE_CACHE=false',
} as const;
export type Phase = keyof typeof PHASES;

const ALL: readonly Phase[] = ['observe', 'rollout', 'redisDown', 'off'];
/** FEATURE_CACHE on, whatever the implementation and its health. */
const CACHE_ON: readonly Phase[] = ['observe', 'rollout', 'redisDown'];
/** Phase 3, Redis up or down. */
const PHASE3: readonly Phase[] = ['rollout', 'redisDown'];
/** Phase 3 with Redis answering (sizes read from Redis). */
const REDIS_UP: readonly Phase[] = ['rollout'];

/** Per dashboard uid, per panel title: the phases it must show data in. */
export const PANEL_PHASES: Readonly<Record<string, Readonly<Record<string, readonly Phase[]>>>> = {
  'cache-overview': {
    'Cache enabled': ALL,
    'Active implementation': CACHE_ON,
    'Cache operations/s': CACHE_ON,
    // NullCache holds nothing; Redis sizes need Redis to answer.
    'Cache size': REDIS_UP,
    'Operations/s by type and key pattern': CACHE_ON,
    'Hit ratio by key pattern': CACHE_ON,
    // 0 until the first error: the error_type series are created at start.
    'Errors/s by error type': CACHE_ON,
    'Error ratio': CACHE_ON,
    'Invalidations/s by tag': CACHE_ON,
  },
  'cache-candidates': {
    'Cache enabled': ALL,
    'Key patterns by accesses/min': CACHE_ON,
    'Accesses/min by key pattern': CACHE_ON,
    // The latency histogram is recorded whatever FEATURE_CACHE says.
    'Routes by p95 latency': ALL,
    'Candidate requests/s by route and method': CACHE_ON,
    Candidates: CACHE_ON,
    'Hit ratio vs Redis memory ($key_pattern, this time range)': CACHE_ON,
    'Estimated hit ratio by cache size': CACHE_ON,
    'Estimated working set': CACHE_ON,
    'Key patterns tracked / limit': ALL,
  },
  'cache-rollout': {
    'Cache enabled': ALL,
    'Patterns served by the cache': PHASE3,
    'Circuit breaker': PHASE3,
    'Hit ratio of whitelisted patterns': PHASE3,
    'Hit ratio: measured vs Phase 2 estimate': PHASE3,
    'Cache error ratio and errors by type': PHASE3,
    'A/B requests/s by variant': PHASE3,
    'Latency p50/p95 by A/B variant': PHASE3,
    'Redis reachable': PHASE3,
    'Redis memory and keys': REDIS_UP,
    'Redis memory by key pattern': REDIS_UP,
    'Redis memory vs estimated working set': REDIS_UP,
    'Keys in Redis by key pattern': REDIS_UP,
    // Topology gauges exist whenever CACHE_IMPL=redis (standalone: 1 master, 1 slot).
    'Redis nodes and slots without a master': PHASE3,
    // Per-shard error series appear with the first failed operation.
    'Redis errors/s by shard': ['redisDown'],
    // 0 for every served pattern from the start (registry.initialiseSeries).
    'Stale responses/s by key pattern': PHASE3,
  },
};

/** Titles of the panels (rows excluded) of a dashboard, in screen order. */
export function panelTitles(d: GeneratedDashboard): string[] {
  const panels = (d.json.panels ?? []) as { title?: string; type?: string }[];
  return panels.filter((p) => p.type !== 'row').map((p) => p.title ?? '(untitled)');
}

/** The phases a panel is meant for; throws for a panel the matrix does not list. */
export function phasesOf(uid: string, title: string): readonly Phase[] {
  const phases = PANEL_PHASES[uid]?.[title];
  if (!phases) throw new Error(`panel "${title}" of ${uid} has no entry in dashboards/phases.ts`);
  return phases;
}

/** The phase-to-panel matrix as a Markdown table (the README carries it). */
export function phaseMatrixMarkdown(): string {
  const phases = Object.keys(PHASES) as Phase[];
  const legend = phases.map((p) => `- \`${p}\`: ${PHASES[p]}`);
  const head = `| dashboard | panel | ${phases.map((p) => `\`${p}\``).join(' | ')} |`;
  const rule = `|---|---|${phases.map(() => ':-:').join('|')}|`;
  const rows = Object.entries(PANEL_PHASES).flatMap(([uid, panels]) =>
    Object.entries(panels).map(
      ([title, meant]) =>
        `| ${uid} | ${title} | ${phases.map((p) => (meant.includes(p) ? '✓' : '')).join(' | ')} |`,
    ),
  );
  return [...legend, '', head, rule, ...rows].join('\n');
}
