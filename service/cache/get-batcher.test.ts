import { describe, expect, it } from 'vitest';
import { GetBatcher } from './get-batcher.ts';
import { CacheError, fail, ok, type Result } from './result.ts';

function collect(batcher: GetBatcher, keys: string[]): Promise<Result<string | null>[]> {
  return Promise.all(keys.map((k) => new Promise<Result<string | null>>((r) => batcher.add(k, r))));
}

describe('GetBatcher', () => {
  it('sends the keys added in one turn as one batch and hands each waiter its reply', async () => {
    const sent: string[][] = [];
    const batcher = new GetBatcher(100, async (keys) => {
      sent.push(keys);
      return ok(keys.map((k) => (k === 'absent' ? null : `v(${k})`)));
    });
    const replies = await collect(batcher, ['a', 'absent', 'c']);
    expect(sent).toEqual([['a', 'absent', 'c']]);
    expect(replies).toEqual([ok('v(a)'), ok(null), ok('v(c)')]);
    await collect(batcher, ['d']);
    expect(sent).toEqual([['a', 'absent', 'c'], ['d']]); // a later turn is a new batch
  });

  it('splits at maxBatch', async () => {
    const sizes: number[] = [];
    const batcher = new GetBatcher(4, async (keys) => {
      sizes.push(keys.length);
      return ok(keys);
    });
    const replies = await collect(
      batcher,
      Array.from({ length: 10 }, (_, i) => `k${i}`),
    );
    expect(sizes).toEqual([4, 4, 2]);
    expect(replies.map((r) => (r.ok ? r.value : 'error'))).toEqual(
      Array.from({ length: 10 }, (_, i) => `k${i}`),
    );
  });

  it('gives every waiter of a failed batch the batch error', async () => {
    const error = new CacheError('timeout', 'late');
    const batcher = new GetBatcher(10, async () => fail(error));
    const replies = await collect(batcher, ['a', 'b']);
    expect(replies).toEqual([fail(error), fail(error)]);
  });

  it('sends a key asked for several times in one turn once and hands its reply to each waiter', async () => {
    const sent: string[][] = [];
    const batcher = new GetBatcher(3, async (keys) => {
      sent.push(keys);
      return ok(keys.map((k) => `v(${k})`));
    });
    const replies = await collect(batcher, ['hot', 'a', 'hot', 'b', 'hot', 'c', 'hot']);
    // maxBatch counts distinct keys: hot, a, b fill the first batch; then hot, c.
    expect(sent).toEqual([
      ['hot', 'a', 'b'],
      ['hot', 'c'],
    ]);
    expect(replies).toEqual(['hot', 'a', 'hot', 'b', 'hot', 'c', 'hot'].map((k) => ok(`v(${k})`)));
  });

  it('rejects maxBatch < 1', () => {
    expect(() => new GetBatcher(0, async () => ok([]))).toThrow(/maxBatch must be >= 1, got 0/);
  });
});
