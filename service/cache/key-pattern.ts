import { OTHER_PATTERN } from '../metrics/names.ts';

/** A pattern is the key's first `:`-separated segment: a short lowercase identifier. */
export const PATTERN_SHAPE = /^[a-z][a-z0-9_-]{0,31}$/;

/** Options of `KeyPatternExtractor`. */
export interface KeyPatternOptions {
  /** Most distinct patterns admitted before the rest fold into `other`. @default 50 */
  readonly limit?: number;
  /** Patterns admitted up front (they count towards `limit`). @default [] */
  readonly known?: readonly string[];
}

/**
 * Maps a cache key to its bounded `key_pattern` label: `user:123` → `user`,
 * `sheet:9:rows:2` → `sheet`. Keys come from users, so the label set is capped: keys
 * that are not pattern-shaped, and new patterns past `limit`, become `other`.
 */
export class KeyPatternExtractor {
  readonly limit: number;
  private readonly admitted = new Set<string>();

  constructor(opts: KeyPatternOptions = {}) {
    this.limit = opts.limit ?? 50;
    if (!Number.isInteger(this.limit) || this.limit < 1) {
      throw new RangeError(`key pattern limit must be a positive integer, got ${this.limit}`);
    }
    for (const p of opts.known ?? []) this.admit(p);
  }

  /** The `key_pattern` label for `key` (admits a new pattern while under the limit). */
  extract(key: string): string {
    const colon = key.indexOf(':');
    if (colon <= 0) return OTHER_PATTERN;
    const candidate = key.slice(0, colon);
    if (this.admitted.has(candidate)) return candidate;
    return this.admit(candidate) ? candidate : OTHER_PATTERN;
  }

  /** Like `extract`, but never admits a new pattern (for keys read back from a store). */
  classify(key: string): string {
    const colon = key.indexOf(':');
    const candidate = colon > 0 ? key.slice(0, colon) : '';
    return this.admitted.has(candidate) ? candidate : OTHER_PATTERN;
  }

  /** Patterns admitted so far (never includes `other`). */
  patterns(): string[] {
    return [...this.admitted];
  }

  /** Number of admitted patterns (the `cache_key_patterns_tracked` gauge). */
  get size(): number {
    return this.admitted.size;
  }

  private admit(pattern: string): boolean {
    if (this.admitted.size >= this.limit || pattern === OTHER_PATTERN) return false;
    if (!PATTERN_SHAPE.test(pattern)) return false;
    this.admitted.add(pattern);
    return true;
  }
}
