import { describe, expect, it } from 'vitest';
import { exceedsBytes, jitteredTtl, parseReply, serialize } from './redis-values.ts';

describe('Redis value helpers', () => {
  it('counts UTF-8 bytes at the boundary, ASCII and multi-byte', () => {
    expect(exceedsBytes('x'.repeat(100), 100)).toBe(false);
    expect(exceedsBytes('x'.repeat(101), 100)).toBe(true);
    expect(exceedsBytes('é'.repeat(50), 100)).toBe(false); // 100 bytes
    expect(exceedsBytes('é'.repeat(51), 100)).toBe(true); // 102 bytes, 51 chars
    expect(exceedsBytes('😀'.repeat(25), 100)).toBe(false); // 4 bytes each
    expect(exceedsBytes('😀'.repeat(26), 100)).toBe(true);
  });

  it('serialises JSON values and maps what JSON cannot hold to serialization', () => {
    expect(serialize({ a: [1, 'b'] })).toEqual({ ok: true, value: '{"a":[1,"b"]}' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [10n, undefined, () => 1, cyclic]) {
      const r = serialize(bad);
      expect(r.ok ? 'ok' : r.error.type).toBe('serialization');
    }
  });

  it('parses replies: nil is a miss, garbage a serialization error', () => {
    expect(parseReply('{"n":1}')).toEqual({ ok: true, value: { n: 1 } });
    expect(parseReply(null)).toEqual({ ok: true, value: undefined });
    const r = parseReply('{oops');
    expect(r.ok ? 'ok' : r.error.type).toBe('serialization');
  });

  it('stretches TTLs by 0..ratio, never shortens them', () => {
    expect(jitteredTtl(1000, 0.1, () => 0)).toBe(1000);
    expect(jitteredTtl(1000, 0.1, () => 0.999)).toBe(1100);
    expect(jitteredTtl(0.2, 0.1, () => 0)).toBe(1);
  });
});
