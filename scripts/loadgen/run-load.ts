import { mulberry32, zipfSampler } from './zipf.ts';

/** One kind of request the load generator sends, with its share of traffic. */
export interface LoadTarget {
  readonly method: 'GET' | 'PUT';
  /** Path with `:id`, replaced by a Zipf-distributed id. */
  readonly path: string;
  readonly weight: number;
}

/** The default mix over the example API's key patterns (≈2% writes). */
export const DEFAULT_MIX: readonly LoadTarget[] = [
  { method: 'GET', path: '/api/sheets/:id', weight: 30 },
  { method: 'GET', path: '/api/sheets/:id/rows', weight: 15 },
  { method: 'GET', path: '/api/sheets/:id/formulas', weight: 8 },
  { method: 'GET', path: '/api/sheets/:id/comments', weight: 10 },
  { method: 'GET', path: '/api/users/:id', weight: 25 },
  { method: 'GET', path: '/api/users/:id/permissions', weight: 10 },
  { method: 'PUT', path: '/api/sheets/:id', weight: 2 },
];

/** Options of `runLoad`. */
export interface LoadOptions {
  /** Base URL of the service, e.g. http://127.0.0.1:8900, or several: requests go round-robin. */
  readonly url: string | readonly string[];
  readonly durationMs: number;
  /** Requests started per second (open loop). */
  readonly rate: number;
  /** Zipf exponent of the id distribution. @default 1.0 */
  readonly alpha?: number;
  /** Distinct ids per pattern. @default 2000 */
  readonly keys?: number;
  /** PRNG seed. @default 1 */
  readonly seed?: number;
  /** Most requests in flight; starts past it are skipped and counted. @default 512 */
  readonly maxInFlight?: number;
  readonly mix?: readonly LoadTarget[];
  /** Called about once a second with the running totals. */
  readonly onProgress?: (p: LoadStats) => void;
  /** Stops the run early. */
  readonly signal?: AbortSignal;
}

/** Totals of a run. `failed` counts network errors and 5xx answers. */
export interface LoadStats {
  elapsedMs: number;
  sent: number;
  ok: number;
  clientErrors: number;
  failed: number;
  skipped: number;
  latenciesMs: number[];
}

/** p-th percentile (0..100) of `xs`, 0 when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/**
 * Drives the example API at a fixed rate for a duration, ids Zipf-distributed per
 * pattern, and resolves with totals once every request has settled.
 */
export async function runLoad(o: LoadOptions): Promise<LoadStats> {
  if (!(o.rate > 0 && o.rate <= 100_000))
    throw new RangeError(`rate must be in (0, 100000] requests/s, got ${o.rate}`);
  if (!(o.durationMs > 0)) throw new RangeError(`duration must be > 0, got ${o.durationMs} ms`);
  const bases = (typeof o.url === 'string' ? [o.url] : o.url).map((u) => new URL(u));
  if (bases.length === 0) throw new RangeError('url must name at least one service');
  let turn = 0;
  const random = mulberry32(o.seed ?? 1);
  const nextId = zipfSampler(o.keys ?? 2000, o.alpha ?? 1.0, random);
  const mix = o.mix ?? DEFAULT_MIX;
  const totalWeight = mix.reduce((s, t) => s + t.weight, 0);
  const pick = () => {
    let u = random() * totalWeight;
    for (const t of mix) {
      u -= t.weight;
      if (u < 0) return t;
    }
    return mix[mix.length - 1] as LoadTarget;
  };
  const maxInFlight = o.maxInFlight ?? 512;
  const stats: LoadStats = {
    elapsedMs: 0,
    sent: 0,
    ok: 0,
    clientErrors: 0,
    failed: 0,
    skipped: 0,
    latenciesMs: [],
  };
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  let lastProgress = start;

  const fire = (t: LoadTarget) => {
    const id = nextId();
    const base = bases[turn++ % bases.length] as URL;
    const url = new URL(t.path.replace(':id', String(id)), base);
    const t0 = performance.now();
    stats.sent++;
    const init: RequestInit =
      t.method === 'PUT'
        ? {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ title: `edited ${stats.sent}` }),
          }
        : { headers: { 'x-user-id': String((id * 7919) % 10_000) } };
    const p = fetch(url, init)
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.status >= 500) stats.failed++;
        else if (res.status >= 400) stats.clientErrors++;
        else stats.ok++;
      })
      .catch(() => {
        stats.failed++;
      })
      .finally(() => {
        stats.latenciesMs.push(performance.now() - t0);
        pending.delete(p);
      });
    pending.add(p);
  };

  const intervalMs = 1000 / o.rate;
  let due = 0;
  while (!o.signal?.aborted) {
    const now = performance.now() - start;
    if (now >= o.durationMs) break;
    const target = Math.floor(now / intervalMs) + 1;
    for (; due < target; due++) {
      if (pending.size >= maxInFlight) stats.skipped++;
      else fire(pick());
    }
    if (o.onProgress && performance.now() - lastProgress >= 1000) {
      lastProgress = performance.now();
      o.onProgress({ ...stats, elapsedMs: now });
    }
    await new Promise((r) => setTimeout(r, Math.max(1, Math.min(20, intervalMs))));
  }
  await Promise.all(pending);
  stats.elapsedMs = performance.now() - start;
  return stats;
}
