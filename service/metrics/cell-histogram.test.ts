import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CellHistogram } from './cell-histogram.ts';

const BUCKETS = [0.005, 0.01, 0.1, 1, 5];
const LABELS = ['route', 'method'] as const;
type L = (typeof LABELS)[number];
const OBSERVATIONS: [Record<L, string>, number][] = [
  [{ route: '/a/:id', method: 'GET' }, 0.003],
  [{ route: '/a/:id', method: 'GET' }, 0.005], // on a bound: counted in it (le is ≤)
  [{ route: '/a/:id', method: 'GET' }, 7],
  [{ method: 'PUT', route: '/a/"b"\\c' }, 0.2], // other key order, escaping
  [{ route: '/a/:id', method: 'GET' }, 0.05],
];

function both() {
  const promReg = new Registry();
  const cellReg = new Registry();
  const prom = new Histogram<L>({
    name: 'h_seconds',
    help: 'help\ntext',
    labelNames: [...LABELS],
    buckets: BUCKETS,
    registers: [promReg],
  });
  const cells = new CellHistogram<L>({
    name: 'h_seconds',
    help: 'help\ntext',
    labelNames: LABELS,
    buckets: BUCKETS,
    registry: cellReg,
  });
  for (const [labels, v] of OBSERVATIONS) {
    prom.observe(labels, v);
    cells.observe(cells.cell(labels), v);
  }
  return { promReg, cellReg, cells };
}

describe('CellHistogram', () => {
  it('renders the text and JSON a prom-client Histogram renders for the same observations', async () => {
    const { promReg, cellReg } = both();
    const text = await cellReg.metrics();
    expect(text).toBe(await promReg.metrics());
    expect(text).toContain('h_seconds_bucket{le="0.005",route="/a/:id",method="GET"} 2');
    expect(text).toContain('h_seconds_bucket{le="+Inf",route="/a/:id",method="GET"} 4');
    expect(await cellReg.getMetricsAsJSON()).toEqual(await promReg.getMetricsAsJSON());
  });

  it('keeps one series per label set whatever the key order, and reset forgets them', async () => {
    const { cells, cellReg } = both();
    const same = cells.cell({ method: 'GET', route: '/a/:id' });
    expect(same).toBe(cells.cell({ route: '/a/:id', method: 'GET' }));
    expect(same.count).toBe(4);
    cellReg.resetMetrics();
    expect(await cellReg.metrics()).not.toContain('h_seconds_bucket');
  });

  it('refuses an unknown label and a non-finite value, as prom-client does', () => {
    const { cells } = both();
    expect(() => cells.cell({ route: '/x', nope: 'y' } as unknown as Record<L, string>)).toThrow(
      /label "nope"/,
    );
    expect(() => cells.observe(cells.cell({ route: '/x', method: 'GET' }), Number.NaN)).toThrow(
      /not a valid number/,
    );
  });
});
