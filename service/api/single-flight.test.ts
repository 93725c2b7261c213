import { describe, expect, it } from 'vitest';
import { SingleFlight } from './single-flight.ts';

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('SingleFlight', () => {
  it('shares a running load and starts a new one once it settled', async () => {
    const f = new SingleFlight();
    let loads = 0;
    const d = deferred<number>();
    const load = () => {
      loads++;
      return d.promise;
    };
    const a = f.do('k', load);
    const b = f.do('k', load);
    expect(f.has('k')).toBe(true);
    d.resolve(1);
    expect(await Promise.all([a, b])).toEqual([1, 1]);
    expect(f.size).toBe(0);
    await f.do('k', async () => {
      loads++;
      return 2;
    });
    expect(loads).toBe(2);
  });

  it('a reader whose ticket predates a load that settled meanwhile shares it instead of loading again', async () => {
    const f = new SingleFlight();
    let loads = 0;
    const load = async () => ++loads;
    const late = f.begin(); // its cache get is out…
    expect(await f.do('k', load)).toBe(1); // …while another reader loads and settles
    expect(f.has('k', late)).toBe(true);
    expect(await f.do('k', load, [], late)).toBe(1);
    f.end(late);
    expect(loads).toBe(1);
    expect(f.keptSize).toBe(0); // no open ticket needs it any more
    // A ticket taken after the load settled does not share it: its get saw the stored value.
    const after = f.begin();
    expect(f.has('k', after)).toBe(false);
    expect(await f.do('k', load, [], after)).toBe(2);
    f.end(after);
  });

  it('keeps nothing when no ticket is open, and no failed load', async () => {
    const f = new SingleFlight();
    await f.do('a', async () => 1);
    expect(f.keptSize).toBe(0);
    const t = f.begin();
    await expect(f.do('b', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(f.has('b', t)).toBe(false);
    f.end(t);
  });

  it('forget by key or tag also drops settled loads kept for open tickets', async () => {
    const f = new SingleFlight();
    const t = f.begin();
    await f.do('rows:1', async () => 'old', ['sheet:1']);
    await f.do('user:1', async () => 'u', ['user:1']);
    expect(f.keptSize).toBe(2);
    f.forget('sheet:1', 'sheet:1');
    expect(f.has('rows:1', t)).toBe(false);
    expect(f.has('user:1', t)).toBe(true);
    f.end(t);
    expect(f.keptSize).toBe(0);
  });

  it('a forgotten running load neither stays shared nor is kept when it settles', async () => {
    const f = new SingleFlight();
    const t = f.begin();
    const d = deferred<string>();
    const first = f.do('k', () => d.promise, ['sheet:1']);
    f.forget('k', 'sheet:1');
    const second = f.do('k', async () => 'new');
    d.resolve('old');
    expect(await first).toBe('old');
    expect(await second).toBe('new');
    expect(await f.do('k', async () => 'third', [], t)).toBe('new');
    f.end(t);
  });

  it('settled loads are dropped as the tickets that predate them close, oldest first', async () => {
    const f = new SingleFlight();
    const t1 = f.begin();
    await f.do('a', async () => 1);
    const t2 = f.begin();
    await f.do('b', async () => 2);
    f.end(t1); // t2 is still open and predates b only
    expect(f.has('a', t2)).toBe(false);
    expect(f.has('b', t2)).toBe(true);
    expect(f.keptSize).toBe(1);
    f.end(t2);
    f.end(t2); // twice is harmless
    expect(f.keptSize).toBe(0);
  });
});
