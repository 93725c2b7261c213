import { describe, expect, it } from 'vitest';
import { SourceError } from './faults.ts';
import { MetaSheetSource } from './metasheet-source.ts';

/** A source on a fake clock whose waits are recorded instead of slept. */
function source(opts: ConstructorParameters<typeof MetaSheetSource>[0] = {}) {
  const waits: number[] = [];
  const s = new MetaSheetSource({
    latencyScale: 1,
    random: () => 0.5, // no jitter: latency = base
    sleep: async (ms) => {
      waits.push(ms);
    },
    now: () => 5_000,
    ...opts,
  });
  return { s, waits };
}

describe('MetaSheetSource faults (off by default)', () => {
  it('answers normally without faults', async () => {
    const { s, waits } = source();
    expect(await s.user(3, 15)).toMatchObject({ id: 3 });
    expect(waits).toEqual([15]);
    expect(s.status().faults).toEqual({ errorRate: 0, extraLatencyMs: 0, outage: null });
  });

  it('adds extra latency', async () => {
    const { s, waits } = source({ faults: { errorRate: 0, extraLatencyMs: 100 } });
    await s.user(3, 15);
    expect(waits).toEqual([115]);
  });

  it('fails at the error rate, after the call latency', async () => {
    const always = source({ faults: { errorRate: 1, extraLatencyMs: 0 } });
    await expect(always.s.sheet(1, 40)).rejects.toEqual(
      new SourceError('error', 'source answered with an error'),
    );
    expect(always.waits).toEqual([40]);
    expect(always.s.failures.error).toBe(1);
    const below = source({ faults: { errorRate: 0.49, extraLatencyMs: 0 } }); // random() = 0.5
    await expect(below.s.sheet(1, 40)).resolves.toMatchObject({ id: 1 });
  });

  it('inside an outage window waits the timeout and fails with timeout; outside it answers', async () => {
    const inside = source({
      timeoutMs: 700,
      faults: { errorRate: 0, extraLatencyMs: 0, outage: { fromMs: 4_000, untilMs: 6_000 } },
    });
    await expect(inside.s.rows(1, 650)).rejects.toMatchObject({ kind: 'timeout' });
    expect(inside.waits).toEqual([700]);
    expect(inside.s.status().faults.outage).toMatchObject({ active: true });
    const after = source({
      faults: { errorRate: 0, extraLatencyMs: 0, outage: { fromMs: 1_000, untilMs: 5_000 } },
    });
    await expect(after.s.rows(1, 650)).resolves.toHaveLength(21);
  });

  it('a call slower than the timeout fails at the timeout', async () => {
    const { s, waits } = source({ timeoutMs: 500 });
    await expect(s.formulas(1, 800)).rejects.toMatchObject({ kind: 'timeout' });
    expect(waits).toEqual([500]);
  });

  it('setFaults changes them at run time; writes fail like reads', async () => {
    const { s } = source();
    s.setFaults({ errorRate: 1, extraLatencyMs: 0 });
    await expect(s.updateSheet(1, 't', 30)).rejects.toBeInstanceOf(SourceError);
    s.setFaults({ errorRate: 0, extraLatencyMs: 0 });
    await expect(s.updateSheet(1, 't', 30)).resolves.toMatchObject({ title: 't', version: 2 });
  });
});
