import { describe, expect, it } from 'vitest';
import { abVariant, bucketOf } from './ab-split.ts';

describe('abVariant', () => {
  it('is off without a split', () => {
    expect(abVariant('u1', 0)).toBe('off');
  });

  it('is stable: the same key always gets the same variant', () => {
    for (let u = 0; u < 1_000; u++) expect(abVariant(`u${u}`, 30)).toBe(abVariant(`u${u}`, 30));
  });

  it.each([5, 10, 30, 50])('puts %i%% of 100,000 users in control, within ±1 point', (pct) => {
    let control = 0;
    for (let u = 0; u < 100_000; u++) if (abVariant(`u${u}`, pct) === 'control') control++;
    expect(Math.abs(control / 1_000 - pct)).toBeLessThan(1);
  });

  it('spreads sequential ids over every bucket', () => {
    const buckets = new Set<number>();
    for (let i = 0; i < 2_000; i++) buckets.add(bucketOf(`r${i}`));
    expect(buckets.size).toBe(100);
  });
});
