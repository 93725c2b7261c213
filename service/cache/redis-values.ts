import { CacheError, fail, ok, type Result } from './result.ts';

/** The shared miss Result (frozen: results are values, never mutated). */
export const MISS: Result<undefined> = Object.freeze(ok(undefined));

/**
 * A GET reply as a Result: nil is a miss; unparsable JSON, or a reply over `maxBytes`
 * (written by something that ignored the limit), is a `serialization` error.
 */
export function parseReply<T>(
  reply: string | null,
  maxBytes = Number.POSITIVE_INFINITY,
): Result<T | undefined> {
  if (reply === null) return MISS;
  if (exceedsBytes(reply, maxBytes)) {
    return fail(new CacheError('serialization', `stored value exceeds ${maxBytes} bytes`));
  }
  try {
    return ok(JSON.parse(reply) as T);
  } catch (err) {
    return fail(CacheError.from(err, 'serialization'));
  }
}

/** `value` as JSON, or a `serialization` error (cycles, BigInt, undefined, functions). */
export function serialize(value: unknown): Result<string> {
  try {
    const json = JSON.stringify(value);
    if (json === undefined) return fail(new CacheError('serialization', 'value is not JSON'));
    return ok(json);
  } catch (err) {
    return fail(CacheError.from(err, 'serialization'));
  }
}

/** Whether `json` takes more than `maxBytes` in UTF-8. */
export function exceedsBytes(json: string, maxBytes: number): boolean {
  // UTF-8 needs >= 1 byte per UTF-16 unit and <= 3, so byteLength is rarely needed.
  if (json.length > maxBytes) return true;
  if (json.length * 3 <= maxBytes) return false;
  return Buffer.byteLength(json, 'utf8') > maxBytes;
}

/** `ttlMs` stretched by a random 0..`ratio` so keys written together do not expire together. */
export const jitteredTtl = (ttlMs: number, ratio: number, random: () => number): number =>
  Math.max(1, Math.round(ttlMs * (1 + ratio * random())));
