/**
 * Credentials in configuration: `REDIS_URL` may carry `user:password@`. These helpers
 * parse such URLs fully (so nothing downstream throws with the URL in its message) and
 * keep the credentials out of every message, log line and stack trace.
 */

/** What the redacted part of a URL is replaced with. */
export const REDACTED = '***';

/** Stands for a value that does not parse as a URL (and may hold credentials anywhere). */
export const UNPARSABLE_NOT_SHOWN = '<not shown: unparsable, may hold credentials>';

/** Shortest secret scrubbed from free text; shorter ones would garble unrelated words. */
const MIN_SECRET_LENGTH = 3;

/** A parsed `redis://` / `rediss://` URL, or why it is not one (the reason never quotes it). */
export type RedisUrlCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Checks `raw` the way node-redis will read it (`RedisClient.parseURL`), and more strictly:
 * scheme redis/rediss, a host, a port 1–65535 when given, an optional numeric database,
 * no query or fragment, credentials that percent-decode. Reasons never contain `raw`.
 */
export function checkRedisUrl(raw: string): RedisUrlCheck {
  if (/\s/.test(raw)) return bad('contains whitespace');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return bad('is not a valid URL (check the host and that the port is 1-65535)');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    return bad('does not start with redis:// or rediss://');
  }
  if (u.hostname === '') return bad('has no host');
  if (u.port !== '' && !(Number(u.port) >= 1 && Number(u.port) <= 65_535)) {
    return bad('has a port outside 1-65535');
  }
  if (u.pathname !== '' && u.pathname !== '/' && !/^\/\d{1,5}$/.test(u.pathname)) {
    return bad('has a path that is not a database number like /0');
  }
  if (u.search !== '' || u.hash !== '') return bad('has a query or fragment');
  try {
    decodeURIComponent(u.username);
    decodeURIComponent(u.password);
  } catch {
    return bad('has credentials that are not valid percent-encoding');
  }
  return { ok: true };
}

const bad = (reason: string): RedisUrlCheck => ({ ok: false, reason });

/**
 * `raw` with its credentials replaced by `***`, for messages: `redis://***@host:6379/0`.
 * A value that does not parse as a URL is not shown at all (it may hold a password in a
 * place a parser would not recognise).
 */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    const auth = u.username !== '' || u.password !== '' ? `${REDACTED}@` : '';
    return `${u.protocol}//${auth}${u.host}${u.pathname}`;
  } catch {
    return UNPARSABLE_NOT_SHOWN;
  }
}

/**
 * The credentials inside a URL-like string, raw and percent-decoded, even when the URL is
 * invalid (`redis://:pw@host:99999`): everything between `://` and the last `@`, and its
 * user and password parts.
 */
export function urlSecrets(raw: string): string[] {
  const start = raw.indexOf('://');
  const at = raw.lastIndexOf('@');
  if (start < 0 || at <= start + 3) return [];
  const userinfo = raw.slice(start + 3, at);
  const colon = userinfo.indexOf(':');
  const parts =
    colon < 0 ? [userinfo] : [userinfo, userinfo.slice(0, colon), userinfo.slice(colon + 1)];
  const out = new Set<string>();
  for (const p of parts) {
    out.add(p);
    try {
      const decoded = decodeURIComponent(p);
      out.add(decoded);
      out.add(encodeURIComponent(decoded)); // how a URL object prints it
    } catch {
      // Not percent-decodable: the raw form is scrubbed already.
    }
  }
  return [...out].filter((s) => s.length >= MIN_SECRET_LENGTH);
}

/** Replaces every known secret in a text with `***`. */
export type Redactor = (text: string) => string;

/** A redactor for `secrets` (longest first, so a secret containing another is scrubbed whole). */
export function createRedactor(secrets: Iterable<string>): Redactor {
  const list = [...new Set(secrets)]
    .filter((s) => s.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  // JSON log lines escape some characters: scrub the JSON-escaped form too.
  const forms = [...new Set(list.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  return (text) => {
    let out = text;
    for (const s of forms) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  };
}
