/**
 * Deterministic synthetic cache traces for the estimator's accuracy tests and benchmark:
 * seeded PRNG, Zipf and looping-scan key streams, played as an observe-only service
 * does (every access is a get followed by the read-through set).
 */

/** mulberry32: a small, fast, seeded PRNG on [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Something that consumes cache operations (the estimator, the exact simulator). */
export interface TraceSink {
  get(key: string, nowMs: number): void;
  set(key: string, valueBytes: number, ttlMs: number, nowMs: number): void;
  del(key: string, nowMs: number): void;
}

/** A trace: per access a key number, plus per-key names, value sizes and TTLs. */
export interface Trace {
  readonly name: string;
  readonly keys: Int32Array;
  readonly names: readonly string[];
  readonly sizes: Float64Array;
  readonly ttlMs: Float64Array;
  /** Accesses (by index) that are deletes instead of get + set. */
  readonly deletes: Uint8Array;
  /** Milliseconds between accesses. */
  readonly stepMs: number;
}

export interface TraceOptions {
  readonly accesses: number;
  readonly universe: number;
  readonly seed: number;
  /** TTL choices in ms, one per key at random (none: no expiry). */
  readonly ttlChoicesMs?: readonly number[];
  /** Share of accesses that are deletes. @default 0 */
  readonly deleteShare?: number;
  /** @default 1 */
  readonly stepMs?: number;
}

function keyTable(o: TraceOptions, rnd: () => number) {
  const names = Array.from({ length: o.universe }, (_, i) => `sheet:${i}`);
  const sizes = new Float64Array(o.universe);
  const ttlMs = new Float64Array(o.universe);
  const ttls = o.ttlChoicesMs ?? [];
  for (let i = 0; i < o.universe; i++) {
    // Log-normal-ish value sizes, median ≈ 400 B.
    const g = rnd() + rnd() + rnd() + rnd() - 2;
    sizes[i] = Math.round(Math.exp(6 + 1.2 * g));
    ttlMs[i] = ttls.length > 0 ? (ttls[Math.floor(rnd() * ttls.length)] ?? 0) : 0;
  }
  return { names, sizes, ttlMs };
}

function deletes(o: TraceOptions, rnd: () => number): Uint8Array {
  const d = new Uint8Array(o.accesses);
  const share = o.deleteShare ?? 0;
  if (share > 0) for (let i = 0; i < o.accesses; i++) d[i] = rnd() < share ? 1 : 0;
  return d;
}

/** Keys drawn from a Zipf(alpha) popularity over `universe` keys (rank order shuffled). */
export function zipfTrace(alpha: number, o: TraceOptions): Trace {
  const rnd = seededRandom(o.seed);
  const cdf = new Float64Array(o.universe);
  let sum = 0;
  for (let r = 0; r < o.universe; r++) {
    sum += 1 / (r + 1) ** alpha;
    cdf[r] = sum;
  }
  const perm = Int32Array.from({ length: o.universe }, (_, i) => i);
  for (let i = o.universe - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = perm[i] ?? 0;
    perm[i] = perm[j] ?? 0;
    perm[j] = t;
  }
  const keys = new Int32Array(o.accesses);
  for (let i = 0; i < o.accesses; i++) {
    const u = rnd() * sum;
    let lo = 0;
    let hi = o.universe - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] ?? 0) < u) lo = mid + 1;
      else hi = mid;
    }
    keys[i] = perm[lo] ?? 0;
  }
  const name = `zipf α=${alpha}${o.ttlChoicesMs ? ' + TTL + deletes' : ''}`;
  return { name, keys, ...keyTable(o, rnd), deletes: deletes(o, rnd), stepMs: o.stepMs ?? 1 };
}

/** A loop over `universe` keys in the same order, again and again. */
export function loopTrace(o: TraceOptions): Trace {
  const rnd = seededRandom(o.seed);
  const keys = Int32Array.from({ length: o.accesses }, (_, i) => i % o.universe);
  return {
    name: `loop over ${o.universe} keys`,
    keys,
    ...keyTable(o, rnd),
    deletes: deletes(o, rnd),
    stepMs: o.stepMs ?? 1,
  };
}

/** Plays `trace` into every sink: a get then the read-through set per access, or a delete. */
export function replay(trace: Trace, ...sinks: TraceSink[]): void {
  for (let i = 0; i < trace.keys.length; i++) {
    const k = trace.keys[i] ?? 0;
    const key = trace.names[k] ?? '';
    const now = i * trace.stepMs;
    if (trace.deletes[i] === 1) {
      for (const s of sinks) s.del(key, now);
      continue;
    }
    const size = trace.sizes[k] ?? 0;
    const ttl = trace.ttlMs[k] ?? 0;
    for (const s of sinks) {
      s.get(key, now);
      s.set(key, size, ttl, now);
    }
  }
}
