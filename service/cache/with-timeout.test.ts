import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock.ts';
import { OperationTimeoutError, TimeoutQueue } from './with-timeout.ts';

/** A promise the test settles by hand. */
function deferred<T>() {
  let resolve: (v: T) => void = () => {};
  let reject: (e: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const outcome = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );

describe('TimeoutQueue (fake clock)', () => {
  it('passes through values and errors settled before the deadline', async () => {
    const clock = new FakeClock();
    const q = new TimeoutQueue(50, clock);
    const a = deferred<string>();
    const b = deferred<string>();
    const ra = outcome(q.run(a.promise));
    const rb = outcome(q.run(b.promise));
    a.resolve('A');
    b.reject(new Error('B'));
    expect(await ra).toEqual({ value: 'A' });
    expect(((await rb) as { error: Error }).error.message).toBe('B');
  });

  it('rejects with OperationTimeoutError at the deadline, each op at its own time', async () => {
    const clock = new FakeClock();
    const q = new TimeoutQueue(50, clock);
    const first = outcome(q.run(new Promise<never>(() => {})));
    clock.advance(20);
    const second = outcome(q.run(new Promise<never>(() => {})));
    let secondDone = false;
    void second.then(() => {
      secondDone = true;
    });
    clock.advance(30); // t=50: first due, second (due t=70) not
    const r1 = await first;
    expect((r1 as { error: unknown }).error).toBeInstanceOf(OperationTimeoutError);
    await Promise.resolve();
    expect(secondDone).toBe(false);
    expect(q.pending).toBe(1);
    clock.advance(20);
    expect(((await second) as { error: unknown }).error).toBeInstanceOf(OperationTimeoutError);
    expect(q.pending).toBe(0);
  });

  it('ignores a result that arrives after the timeout', async () => {
    const clock = new FakeClock();
    const q = new TimeoutQueue(10, clock);
    const late = deferred<number>();
    const r = outcome(q.run(late.promise));
    clock.advance(10);
    late.resolve(1);
    expect(((await r) as { error: unknown }).error).toBeInstanceOf(OperationTimeoutError);
  });

  it('uses one timer however many operations are in flight, none once idle', async () => {
    const clock = new FakeClock();
    const q = new TimeoutQueue(50, clock);
    const ds = Array.from({ length: 1000 }, () => deferred<number>());
    const rs = ds.map((d) => q.run(d.promise));
    expect(clock.armed).toBe(1);
    for (const [i, d] of ds.entries()) d.resolve(i);
    expect((await Promise.all(rs)).length).toBe(1000);
    clock.advance(50);
    expect(clock.armed).toBe(0);
  });

  it('grows past its initial ring: 5,000 in flight, half settle, the rest time out', async () => {
    const clock = new FakeClock();
    const q = new TimeoutQueue(50, clock);
    const ds = Array.from({ length: 5000 }, () => deferred<number>());
    const rs = ds.map((d) => outcome(q.run(d.promise)));
    expect(q.pending).toBe(5000);
    for (const [i, d] of ds.entries()) if (i % 2 === 0) d.resolve(i);
    await Promise.resolve();
    clock.advance(50);
    const results = await Promise.all(rs);
    expect(q.pending).toBe(0);
    for (const [i, r] of results.entries()) {
      if (i % 2 === 0) expect(r).toEqual({ value: i });
      else expect((r as { error: unknown }).error).toBeInstanceOf(OperationTimeoutError);
    }
  });

  it('rejects a non-positive timeout', () => {
    expect(() => new TimeoutQueue(0)).toThrow(/timeoutMs must be > 0, got 0/);
  });
});
