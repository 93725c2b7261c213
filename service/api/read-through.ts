import { setTimeout as sleep } from 'node:timers/promises';
import { asFreshEntry, type FreshEntry, freshEntry } from '../cache/fresh-entry.ts';
import type { LoadLock } from '../cache/load-lock.ts';
import type { CacheRegistry } from '../cache/registry.ts';
import type { Variant } from '../metrics/names.ts';
import type { Metrics } from '../metrics/registry.ts';
import type { CacheOutcome, StaleReason } from './cache-status.ts';
import { type GracePolicy, NO_GRACE, xfetchDue } from './grace.ts';
import type { ReadTicket, SingleFlight } from './single-flight.ts';
import type { WriteLog } from './write-log.ts';

/** What `readThrough` needs. */
export interface ReadThroughDeps {
  readonly cache: CacheRegistry;
  readonly metrics: Metrics;
  readonly flights: SingleFlight;
  /** TTL of every cached value (its fresh time). */
  readonly ttlMs: number;
  /** Writes mark what they change; a load that overlapped a write of its key is not cached. */
  readonly writes: WriteLog;
  /** Grace (stale-if-error), soft timeout and early refresh. @default NO_GRACE (all off) */
  readonly grace?: GracePolicy;
  /** Cross-replica load lock (CACHE_LOCK). @default none */
  readonly lock?: LoadLock;
  /** Wall clock of fresh times (shared by replicas through the cache). @default Date.now */
  readonly now?: () => number;
  /** XFetch's uniform draw. @default Math.random */
  readonly random?: () => number;
}

/** One cache-aside read. */
export interface ReadRequest<T> {
  readonly key: string;
  readonly pattern: string;
  readonly tags: readonly string[];
  readonly variant: Variant;
  /** Loads from the source; rejects when the source fails. */
  readonly load: () => Promise<T | undefined>;
}

/** The value (undefined: the source has none) and how the cache handled the read. */
export interface ReadResult<T> {
  readonly value: T | undefined;
  readonly outcome: CacheOutcome;
}

type Found<T> =
  | { readonly state: 'fresh' | 'stale'; readonly entry: FreshEntry<T> }
  | { readonly state: 'none' };
type Loaded<T> = { readonly value: T | undefined; readonly stored: boolean };
type Settled<T> =
  | { readonly kind: 'done'; readonly value: T }
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'late' };

const NONE: Found<never> = Object.freeze({ state: 'none' });
const BYPASS: CacheOutcome = Object.freeze({ kind: 'bypass' });
const NOOP = () => {};
/** How often a replica waiting on another's lock looks for its value, ms. */
const LOCK_POLL_MS = 20;

/**
 * Cache-aside through the registry, with grace:
 * - fresh hit → the value (and, by XFetch's rule, a background refresh the read does not wait for);
 * - stale copy within grace → refresh, but after a failure or the soft timeout serve the
 *   copy (if it is still in the cache: a write or invalidation since removed it wins);
 * - nothing (or past grace) → load; a source failure fails the read.
 * Concurrent loads of a key share one (single-flight), and with a lock one replica loads.
 * A cache failure never fails the read: it is a Result, counted, and the source answers.
 */
export async function readThrough<T>(
  d: ReadThroughDeps,
  r: ReadRequest<T>,
): Promise<ReadResult<T>> {
  const served = d.cache.serves(r.pattern);
  if (r.variant !== 'off' && served) {
    d.metrics.abRequests.inc({ variant: r.variant, key_pattern: r.pattern });
  }
  if (r.variant === 'control') return { value: await r.load(), outcome: BYPASS };
  const g = d.grace ?? NO_GRACE;
  // Taken before the get: a load of this key that settles while the get is out is shared.
  const ticket = d.flights.begin();
  let result: ReadResult<T>;
  try {
    const cached = await d.cache.get<unknown>(r.key);
    const now = clock(d);
    const found = cached.ok ? classify<T>(cached.value, now, g.graceMs) : NONE;
    if (found.state === 'fresh') {
      if (xfetchDue(found.entry, now, g.earlyRefreshBeta, d.random ?? Math.random)) {
        refreshEarly(d, r, found.entry);
      }
      result = { value: found.entry.v, outcome: { kind: 'hit', ttlMs: found.entry.f - now } };
    } else if (found.state === 'stale') {
      result = await staleRead(d, r, g, ticket);
    } else {
      result = await missRead(d, r, ticket);
    }
  } finally {
    d.flights.end(ticket);
  }
  return served ? result : { value: result.value, outcome: BYPASS };
}

async function missRead<T>(
  d: ReadThroughDeps,
  r: ReadRequest<T>,
  ticket: ReadTicket,
): Promise<ReadResult<T>> {
  const collapsed = d.flights.has(r.key, ticket);
  const loaded = await fill(d, r, ticket);
  return {
    value: loaded.value,
    outcome: { kind: 'forward', fwd: 'uri-miss', stored: loaded.stored, collapsed },
  };
}

/** A stale copy in grace: refresh, falling back to the copy on failure or soft timeout. */
async function staleRead<T>(
  d: ReadThroughDeps,
  r: ReadRequest<T>,
  g: GracePolicy,
  ticket: ReadTicket,
): Promise<ReadResult<T>> {
  const collapsed = d.flights.has(r.key, ticket);
  const flight = fill(d, r, ticket);
  flight.catch(NOOP); // after a soft timeout nobody may await it
  const settled = await settleWithin(flight, g.softTimeoutMs);
  if (settled.kind === 'done') {
    const { value, stored } = settled.value;
    return { value, outcome: { kind: 'forward', fwd: 'stale', stored, collapsed } };
  }
  const reason: StaleReason = settled.kind === 'failed' ? 'stale-if-error' : 'stale-soft-timeout';
  // Read again: a write or tag invalidation since the first read removed the copy, and it
  // must win; so does a replica that refreshed it meanwhile. Past grace it is not served.
  const again = await d.cache.get<unknown>(r.key);
  const now = clock(d);
  const current = again.ok ? classify<T>(again.value, now, g.graceMs) : NONE;
  if (current.state === 'fresh') {
    return { value: current.entry.v, outcome: { kind: 'hit', ttlMs: current.entry.f - now } };
  }
  if (current.state === 'stale') {
    d.metrics.staleServed.inc({ key_pattern: r.pattern });
    return {
      value: current.entry.v,
      outcome: { kind: 'stale', ttlMs: current.entry.f - now, reason },
    };
  }
  if (settled.kind === 'failed') throw settled.error;
  return missRead(d, r, ticket);
}

/** XFetch said refresh: one background load (shared with readers that come meanwhile). */
function refreshEarly<T>(d: ReadThroughDeps, r: ReadRequest<T>, entry: FreshEntry<T>): void {
  if (d.flights.has(r.key)) return;
  d.flights.do(r.key, () => loadAndStore(d, r, entry), r.tags).catch(NOOP);
}

/** Joins or starts the load of `r.key`; the reader's ticket closes once it has joined. */
function fill<T>(d: ReadThroughDeps, r: ReadRequest<T>, ticket: ReadTicket): Promise<Loaded<T>> {
  const flight = d.flights.do(r.key, () => loadAndStore(d, r, undefined), r.tags, ticket);
  d.flights.end(ticket);
  return flight;
}

/**
 * Loads from the source and stores the value as a fresh entry (physical TTL = TTL + grace).
 * With a lock: a replica that does not get it waits up to `lock.waitMs` for the holder's
 * value, then loads itself; an early refresh that does not get it keeps `current`
 * (another replica is refreshing). Lock errors load as if there were no lock.
 */
async function loadAndStore<T>(
  d: ReadThroughDeps,
  r: ReadRequest<T>,
  current: FreshEntry<T> | undefined,
): Promise<Loaded<T>> {
  const lock = d.lock ? await d.lock.acquire(r.key) : undefined;
  if (d.lock && lock?.state === 'busy') {
    if (current) return { value: current.v, stored: false };
    const peer = await waitForPeer(d, r, d.lock.waitMs);
    if (peer) return { value: peer.v, stored: false };
  }
  const stamp = d.writes.stamp();
  try {
    const t0 = performance.now(); // load time: monotonic, unlike the wall clock of fresh times
    const value = await r.load();
    if (value === undefined || d.writes.overlapped(stamp, r.key, r.tags)) {
      return { value, stored: false };
    }
    const now = clock(d);
    const graceMs = d.grace?.graceMs ?? 0;
    const entry = freshEntry(value, now + d.ttlMs, performance.now() - t0);
    const set = await d.cache.set(r.key, entry, { ttlMs: d.ttlMs + graceMs, tags: r.tags });
    return { value, stored: set.ok && set.value };
  } finally {
    d.writes.finish();
    if (lock?.state === 'acquired') void lock.release();
  }
}

/** Polls the cache for a fresh entry stored by the lock holder, up to `waitMs`. */
async function waitForPeer<T>(
  d: ReadThroughDeps,
  r: ReadRequest<T>,
  waitMs: number,
): Promise<FreshEntry<T> | undefined> {
  const deadline = clock(d) + waitMs;
  while (clock(d) < deadline) {
    await sleep(LOCK_POLL_MS);
    const got = await d.cache.get<unknown>(r.key);
    const found = got.ok ? classify<T>(got.value, clock(d), 0) : NONE;
    if (found.state === 'fresh') return found.entry;
  }
  return undefined;
}

/** Fresh, stale within grace, or nothing usable. A value not stored as an entry counts as fresh. */
function classify<T>(value: unknown, nowMs: number, graceMs: number): Found<T> {
  if (value === undefined) return NONE;
  const entry = asFreshEntry<T>(value);
  if (entry === undefined) return { state: 'fresh', entry: freshEntry(value as T, nowMs, 0) };
  if (nowMs < entry.f) return { state: 'fresh', entry };
  if (nowMs < entry.f + graceMs) return { state: 'stale', entry };
  return NONE;
}

function settleWithin<T>(p: Promise<T>, ms: number): Promise<Settled<T>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ kind: 'late' }), ms);
    p.then(
      (value) => {
        clearTimeout(timer);
        resolve({ kind: 'done', value });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ kind: 'failed', error });
      },
    );
  });
}

const clock = (d: ReadThroughDeps): number => (d.now ?? Date.now)();
