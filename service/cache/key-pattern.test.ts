import { describe, expect, it } from 'vitest';
import { KeyPatternExtractor } from './key-pattern.ts';

describe('KeyPatternExtractor', () => {
  it('takes the first segment of pattern-shaped keys', () => {
    const p = new KeyPatternExtractor();
    expect(p.extract('user:123')).toBe('user');
    expect(p.extract('sheet:9:rows:2')).toBe('sheet');
    expect(p.extract('sheet_meta:1')).toBe('sheet_meta');
  });

  it('folds keys that are not pattern-shaped into other', () => {
    const p = new KeyPatternExtractor();
    for (const k of [
      'nocolon',
      ':leading',
      'Upper:1',
      '9digits:1',
      'a b:1',
      `${'x'.repeat(40)}:1`,
      'other:1',
    ]) {
      expect(p.extract(k), k).toBe('other');
    }
    expect(p.size).toBe(0);
  });

  it('admits at most limit patterns, known ones first', () => {
    const p = new KeyPatternExtractor({ limit: 3, known: ['user', 'sheet'] });
    expect(p.extract('a:1')).toBe('a');
    expect(p.extract('b:1')).toBe('other');
    expect(p.extract('user:1')).toBe('user');
    expect(p.patterns()).toEqual(['user', 'sheet', 'a']);
  });

  it('rejects a bad limit, naming it', () => {
    expect(() => new KeyPatternExtractor({ limit: 0 })).toThrow(/limit/);
  });
});
