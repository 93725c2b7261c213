import type { BreakerView } from './breaker-view.ts';
import type { Cache, CacheSize, SetOptions } from './cache.ts';
import { asFreshEntry } from './fresh-entry.ts';
import { CacheError, fail, ok, type Result } from './result.ts';

/** What a key pattern's values look like, and which version of that look is current. */
export interface ValueSchema {
  /**
   * Bumped whenever the shape changes: a value written under another version is never
   * served (it is counted, deleted and refilled), so a deploy cannot serve the old shape.
   */
  readonly version: number;
  /** `undefined` when `value` has the shape, else what is wrong (for the error message). */
  readonly check: (value: unknown) => string | undefined;
}

/** How `ValidatingCache` judges what comes back from the cache. */
export interface ValuePolicy {
  /**
   * The schema of a key pattern (the key's first `:` segment); none: only depth is checked.
   * A schema's `check` must bound the depth it accepts (no "any JSON" fields).
   */
  schemaFor(pattern: string): ValueSchema | undefined;
  /**
   * Deepest nesting of arrays/objects served. Deeper values would overflow the stack in
   * `JSON.stringify` (`res.json`) and fail the request. @default 32
   */
  readonly maxDepth?: number;
}

/** Schema version of patterns without a schema. */
const UNVERSIONED = 0;

/**
 * The stored form of every value: `{ v, d }`, the pattern's schema version and the data.
 * Lives in the value (not the key) so a del or tag invalidation reaches every version.
 */
interface Envelope {
  readonly v: number;
  readonly d: unknown;
}

/**
 * Never trusts what the cache returns. A value is served only when it is an envelope of
 * the pattern's current schema version, nested at most `maxDepth` deep and of the
 * pattern's shape. Anything else — and any `serialization` error from the implementation
 * (corrupt JSON, a value over the size limit) — is deleted from the cache and returned as
 * a `serialization` error: the caller counts it and falls back to the source, whose value
 * then replaces the bad one.
 */
export class ValidatingCache implements Cache {
  readonly impl: string;
  readonly #maxDepth: number;
  /** Frozen values already judged good, with the key they were read under. */
  readonly #accepted = new WeakMap<object, string>();

  constructor(
    readonly inner: Cache,
    private readonly policy: ValuePolicy,
  ) {
    this.impl = inner.impl;
    this.#maxDepth = policy.maxDepth ?? 32;
  }

  async get<T = unknown>(key: string): Promise<Result<T | undefined>> {
    const r = await this.inner.get<unknown>(key);
    if (!r.ok) {
      if (r.error.type === 'serialization') await this.#drop(key);
      return r;
    }
    if (r.value === undefined) return r as Result<undefined>;
    if (this.#accepted.get(r.value as object) === key) return ok((r.value as Envelope).d as T);
    const problem = this.#problem(key, r.value);
    if (problem === undefined) {
      // A frozen value (MemoryCache returns the same frozen copy each time) cannot change:
      // its verdict holds for every later get of it under the same key.
      if (Object.isFrozen(r.value)) this.#accepted.set(r.value as object, key);
      return ok((r.value as Envelope).d as T);
    }
    await this.#drop(key);
    return fail(new CacheError('serialization', `cached value rejected: ${problem}`));
  }

  set<T = unknown>(key: string, value: T, opts: SetOptions): Promise<Result<boolean>> {
    const envelope: Envelope = { v: this.#schema(key)?.version ?? UNVERSIONED, d: value };
    return this.inner.set(key, envelope, opts);
  }

  del(key: string): Promise<Result<boolean>> {
    return this.inner.del(key);
  }

  invalidateTag(tag: string): Promise<Result<number>> {
    return this.inner.invalidateTag(tag);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  get breaker(): BreakerView | undefined {
    return this.inner.breaker;
  }

  async size(patternOf: (key: string) => string): Promise<CacheSize> {
    return (await this.inner.size?.(patternOf)) ?? {};
  }

  #schema(key: string): ValueSchema | undefined {
    return schemaOf(this.policy, key);
  }

  #problem(key: string, stored: unknown): string | undefined {
    if (!isEnvelope(stored)) return 'not written by this version of the service (no envelope)';
    const schema = this.#schema(key);
    const version = schema?.version ?? UNVERSIONED;
    if (stored.v !== version) return `schema version ${stored.v}, current is ${version}`;
    // The read-through may wrap the value in a grace entry (fresh-until, load time): the
    // shape is the wrapped value's.
    const payload = asFreshEntry(stored.d)?.v ?? stored.d;
    // A schema bounds the depth itself (shapes are finite); without one, walk the value.
    if (schema !== undefined) return schema.check(payload);
    if (nestedDeeperThan(payload, this.#maxDepth)) {
      return `nested deeper than ${this.#maxDepth} levels`;
    }
    return undefined;
  }

  /** Best effort: a failed delete is harmless, the refill overwrites the value anyway. */
  async #drop(key: string): Promise<void> {
    try {
      await this.inner.del(key);
    } catch {
      // The implementation's failure is not this read's concern.
    }
  }
}

function schemaOf(policy: ValuePolicy, key: string): ValueSchema | undefined {
  const colon = key.indexOf(':');
  return colon > 0 ? policy.schemaFor(key.slice(0, colon)) : undefined;
}

/** Bytes the envelope `{"v":<version>,"d":…}` adds to a value's JSON under `key` under `policy`. */
export function envelopeBytes(policy: ValuePolicy, key: string): number {
  return ENVELOPE_FIXED_BYTES + String(schemaOf(policy, key)?.version ?? UNVERSIONED).length;
}
/** `{"v":` + `,"d":` + `}` */
const ENVELOPE_FIXED_BYTES = 11;

function isEnvelope(x: unknown): x is Envelope {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const keys = Object.keys(x);
  return keys.length === 2 && Number.isInteger((x as Envelope).v) && 'd' in x;
}

/** Whether arrays/objects nest more than `max` levels (stops as soon as they do). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (max <= 0) return true;
  const children = Array.isArray(value) ? value : Object.values(value);
  for (const child of children) if (nestedDeeperThan(child, max - 1)) return true;
  return false;
}
