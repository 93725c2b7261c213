/**
 * What the cache holds in Redis, read at scrape time: `INFO memory`, `INFO keyspace`,
 * `DBSIZE`, and a bounded `SCAN` of the keyspace with `MEMORY USAGE` sampled per key
 * pattern. Nothing of it runs per request; a snapshot is reused for `maxAgeMs`, and a
 * scrape waits for a refresh at most `timeoutMs` (then it gets the previous snapshot and
 * the refresh finishes for the next scrape).
 */

/** Sends one raw command (read-only ones only) and resolves with the reply. */
export type RedisCommand = (args: string[]) => Promise<unknown>;

/** Keys and bytes of one key pattern (value keys `<prefix>v:` plus tag sets `<prefix>t:`). */
export interface PatternSize {
  /** Value keys of the pattern (tag sets not counted). */
  readonly keys: number;
  /** `MEMORY USAGE` of the pattern's value keys and tag sets (sampled, scaled up). */
  readonly bytes: number;
}

/** One reading. `up: false` when Redis did not answer; then no sizes. */
export type RedisSizeSnapshot =
  | { readonly up: false; readonly at: number }
  | {
      readonly up: true;
      readonly at: number;
      /** `used_memory` of `INFO memory`. */
      readonly usedMemoryBytes: number;
      /** `maxmemory` of `INFO memory` (0: no limit). */
      readonly maxMemoryBytes: number;
      /** Keys per database of `INFO keyspace`, e.g. `{ db0: 12 }`. */
      readonly dbKeys: Readonly<Record<string, number>>;
      /** Sizes per key pattern of the keys under the cache's prefix. */
      readonly patterns: ReadonlyMap<string, PatternSize>;
      /** True when the SCAN saw the whole database; else counts are scaled by DBSIZE / examined. */
      readonly complete: boolean;
    };

/** Options of {@link RedisSizeProbe}. */
export interface RedisSizeProbeOptions {
  readonly send: RedisCommand;
  /** The cache's key prefix (e.g. `metasheet:staging:`); only keys under it are counted. */
  readonly keyPrefix: string;
  /** Longest a scrape waits for a refresh. @default 500 */
  readonly timeoutMs?: number;
  /** A snapshot younger than this is served without asking Redis. @default 10000 */
  readonly maxAgeMs?: number;
  /** Most keys one refresh SCANs (bounds its cost on a big database). @default 20000 */
  readonly scanBudget?: number;
  /** Keys per pattern and kind whose `MEMORY USAGE` is read. @default 16 */
  readonly samplesPerPattern?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Keys asked of one SCAN call (a hint to Redis), at most the budget. */
const SCAN_COUNT = 1000;

/** See the module comment. */
export class RedisSizeProbe {
  readonly #o: Required<Omit<RedisSizeProbeOptions, 'send' | 'keyPrefix'>>;
  #last: RedisSizeSnapshot | undefined;
  #refreshing: Promise<RedisSizeSnapshot> | undefined;

  constructor(private readonly opts: RedisSizeProbeOptions) {
    this.#o = {
      timeoutMs: opts.timeoutMs ?? 500,
      maxAgeMs: opts.maxAgeMs ?? 10_000,
      scanBudget: opts.scanBudget ?? 20_000,
      samplesPerPattern: opts.samplesPerPattern ?? 16,
      now: opts.now ?? Date.now,
    };
  }

  /**
   * The latest snapshot: the cached one while fresh, else a new one if it arrives within
   * `timeoutMs`, else the previous one (`undefined` before the first ever finishes).
   * `patternOf` maps a cache key (prefix stripped) to its bounded `key_pattern`.
   */
  async read(patternOf: (key: string) => string): Promise<RedisSizeSnapshot | undefined> {
    const last = this.#last;
    if (last && this.#o.now() - last.at < this.#o.maxAgeMs) return last;
    this.#refreshing ??= this.#refresh(patternOf).finally(() => {
      this.#refreshing = undefined;
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.#o.timeoutMs);
      timer.unref();
    });
    const fresh = await Promise.race([this.#refreshing, timeout]);
    clearTimeout(timer);
    return fresh ?? this.#last;
  }

  async #refresh(patternOf: (key: string) => string): Promise<RedisSizeSnapshot> {
    let snap: RedisSizeSnapshot;
    try {
      snap = await this.#measure(patternOf);
    } catch {
      snap = { up: false, at: this.#o.now() };
    }
    this.#last = snap;
    return snap;
  }

  async #measure(patternOf: (key: string) => string): Promise<RedisSizeSnapshot> {
    const { send, keyPrefix } = this.opts;
    const [memory, keyspace, dbsize] = await Promise.all([
      send(['INFO', 'memory']),
      send(['INFO', 'keyspace']),
      send(['DBSIZE']),
    ]);
    const mem = infoFields(String(memory));
    const dbKeys: Record<string, number> = {};
    for (const [db, value] of Object.entries(infoFields(String(keyspace)))) {
      const keys = /(?:^|,)keys=(\d+)/.exec(value)?.[1];
      if (/^db\d+$/.test(db) && keys !== undefined) dbKeys[db] = Number(keys);
    }

    // SCAN without MATCH, filtered here: counting the keys examined is what lets a scan
    // cut short by the budget be scaled up by DBSIZE / examined (SCAN order is hash order).
    const counts = new Map<string, { v: number; t: number; sv: string[]; st: string[] }>();
    let cursor = '0';
    let examined = 0;
    do {
      const [next, keys] = (await send([
        'SCAN',
        cursor,
        'COUNT',
        String(Math.min(SCAN_COUNT, this.#o.scanBudget)),
      ])) as [string, string[]];
      cursor = String(next);
      examined += keys.length;
      for (const key of keys) {
        if (!key.startsWith(keyPrefix)) continue;
        const rest = key.slice(keyPrefix.length);
        const kind = rest.startsWith('v:') ? 'v' : rest.startsWith('t:') ? 't' : undefined;
        if (kind === undefined) continue;
        // Cluster tag sets are per slot, `t:{<slot tag>}<tag>` (cluster-tags.ts): the hash
        // tag is not part of the tag.
        const name = kind === 't' ? rest.slice(2).replace(/^\{[^}]*\}/, '') : rest.slice(2);
        const pattern = patternOf(name);
        let c = counts.get(pattern);
        if (!c) {
          c = { v: 0, t: 0, sv: [], st: [] };
          counts.set(pattern, c);
        }
        c[kind]++;
        const samples = kind === 'v' ? c.sv : c.st;
        if (samples.length < this.#o.samplesPerPattern) samples.push(key);
      }
    } while (cursor !== '0' && examined < this.#o.scanBudget);
    const complete = cursor === '0';
    const scale = complete || examined === 0 ? 1 : Math.max(1, Number(dbsize) / examined);

    const avgUsage = async (keys: readonly string[]): Promise<number> => {
      const usage = await Promise.all(
        keys.map((k) => send(['MEMORY', 'USAGE', k, 'SAMPLES', '0'])),
      );
      const found = usage.filter((u): u is number => typeof u === 'number');
      return found.length === 0 ? 0 : found.reduce((a, b) => a + b, 0) / found.length;
    };
    const patterns = new Map<string, PatternSize>();
    for (const [pattern, c] of counts) {
      const [v, t] = await Promise.all([avgUsage(c.sv), avgUsage(c.st)]);
      patterns.set(pattern, {
        keys: Math.round(c.v * scale),
        bytes: Math.round((v * c.v + t * c.t) * scale),
      });
    }
    return {
      up: true,
      at: this.#o.now(),
      usedMemoryBytes: Number(mem.used_memory ?? 0),
      maxMemoryBytes: Number(mem.maxmemory ?? 0),
      dbKeys,
      patterns,
      complete,
    };
  }
}

/** `field:value` lines of an INFO reply. */
export function infoFields(info: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of info.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}
