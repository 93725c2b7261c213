import type { FreshEntry } from '../cache/fresh-entry.ts';

/** How the read-through treats values past their TTL and keys about to expire. */
export interface GracePolicy {
  /** Entries stay readable this long past their TTL, for stale-if-error. 0 = off. @default 0 */
  readonly graceMs: number;
  /** With a stale copy in grace, the longest a read waits for the refresh. @default 1500 */
  readonly softTimeoutMs: number;
  /** XFetch β: 0 = no early refresh; 1 = the paper's value; larger refreshes earlier. @default 0 */
  readonly earlyRefreshBeta: number;
}

export const NO_GRACE: GracePolicy = Object.freeze({
  graceMs: 0,
  softTimeoutMs: 1500,
  earlyRefreshBeta: 0,
});

/**
 * XFetch (Vattani, Chierichetti, Lowenstein, VLDB 2015): refresh a fresh entry early when
 * `now − δ·β·ln(u) ≥ expiry`, u uniform in (0,1], δ the entry's load time. Each read draws
 * once, so a hot key is refreshed shortly before it expires and a cold one almost never;
 * a slow-to-load key starts earlier. Optimal in the paper's model at β = 1.
 */
export function xfetchDue(
  e: FreshEntry,
  nowMs: number,
  beta: number,
  random: () => number,
): boolean {
  if (!(beta > 0) || e.d <= 0) return false;
  const u = 1 - random(); // (0, 1]: ln never sees 0
  return nowMs - e.d * beta * Math.log(u) >= e.f;
}
