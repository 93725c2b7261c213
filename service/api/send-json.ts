import type { Response } from 'express';

/** A frozen value's response body and validators, made once. */
interface Prepared {
  /** The JSON text (as `res.json` makes it with default settings). */
  readonly text: string;
  readonly length: string;
  readonly etag: string;
  /** The app's `etag fn` the ETag was made with. */
  readonly etagFn: unknown;
}

type EtagFn = (body: string | Buffer, encoding?: BufferEncoding) => string | undefined;

const JSON_TYPE = 'application/json; charset=utf-8';
const prepared = new WeakMap<object, Prepared>();

/**
 * Answers `value` exactly as `res.json(value)` does (status, headers, ETag, 304 on a
 * matching `If-None-Match`, no body for `HEAD`), but for a frozen value (the cache's
 * `MemoryCache` hands out deep-frozen copies, shared by every hit of a key) the JSON text
 * and its ETag are made once per value instead of once per request: on a cache hit,
 * serialising and hashing the body cost more than the whole cache lookup.
 *
 * Anything else (a value that is not a frozen object, an app with its own `json *` settings or
 * without ETags) goes through `res.json`. `send-json.test.ts` compares both answers header by header.
 */
export function sendJson(res: Response, value: unknown): void {
  // Express' settings bag is untyped; these are the four res.json and res.send read.
  const settings = res.app.settings as Record<string, unknown>;
  const etagFn = settings['etag fn'];
  if (
    typeof value !== 'object' ||
    value === null ||
    !Object.isFrozen(value) ||
    res.statusCode !== 200 ||
    typeof etagFn !== 'function' ||
    settings['json replacer'] !== undefined ||
    settings['json spaces'] !== undefined ||
    settings['json escape'] ||
    res.getHeader('Content-Type') !== undefined ||
    res.getHeader('ETag') !== undefined ||
    res.getHeader('Transfer-Encoding') !== undefined
  ) {
    res.json(value);
    return;
  }
  let p = prepared.get(value);
  if (p === undefined || p.etagFn !== etagFn) {
    p = prepare(value, etagFn as EtagFn);
    prepared.set(value, p);
  }
  res.setHeader('Content-Type', JSON_TYPE);
  res.setHeader('Content-Length', p.length);
  if (p.etag) res.setHeader('ETag', p.etag);
  const req = res.req;
  // `req.fresh` only when the request is conditional: it is false otherwise.
  const conditional =
    req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined;
  if (conditional && req.fresh) {
    res.statusCode = 304;
    res.removeHeader('Content-Type');
    res.removeHeader('Content-Length');
    res.end();
    return;
  }
  if (req.method === 'HEAD') res.end();
  else res.end(p.text, 'utf8');
}

function prepare(value: object, etagFn: EtagFn): Prepared {
  const text = JSON.stringify(value);
  // As res.send: the ETag of the body's bytes.
  const body = Buffer.from(text, 'utf8');
  return { text, length: String(body.length), etag: etagFn(body) ?? '', etagFn };
}
