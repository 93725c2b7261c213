import { describe, expect, it } from 'vitest';
import { checkRedisUrl, createRedactor, REDACTED, redactUrl, urlSecrets } from './redact.ts';

describe('credential redaction', () => {
  it('redacts URLs structurally and hides what does not parse', () => {
    expect(redactUrl('redis://user:pw1@h:6379/1')).toBe('redis://***@h:6379/1');
    expect(redactUrl('redis://h:6379')).toBe('redis://h:6379');
    expect(redactUrl('redis://:pw1@h:99999')).not.toContain('pw1');
  });

  it('finds the credentials of invalid URLs too, raw and decoded', () => {
    expect(urlSecrets('redis://:s3cret@127.0.0.1:99999')).toContain('s3cret');
    const s = urlSecrets('redis://bob:p%40ss/word@h');
    expect(s).toEqual(expect.arrayContaining(['bob', 'p%40ss/word', 'p@ss/word']));
    expect(urlSecrets('redis://127.0.0.1:6379')).toEqual([]);
  });

  it('scrubs every occurrence, longest secret first, JSON-escaped forms too', () => {
    const r = createRedactor(['abc', 'abcdef', 'q"uote']);
    expect(r('x abcdef y abc z')).toBe(`x ${REDACTED} y ${REDACTED} z`);
    expect(r(JSON.stringify({ m: 'q"uote' }))).toBe(`{"m":"${REDACTED}"}`);
    expect(createRedactor(['ab'])('ab')).toBe('ab'); // too short to scrub safely
  });

  it('checks URLs the way the client will read them', () => {
    expect(checkRedisUrl('redis://:p@h:6379/0')).toEqual({ ok: true });
    expect(checkRedisUrl('redis://h:6379/x').ok).toBe(false);
    expect(checkRedisUrl('redis://h :6379').ok).toBe(false);
  });
});
