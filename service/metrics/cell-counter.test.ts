import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CellCounter } from './cell-counter.ts';

describe('CellCounter', () => {
  it('exposes exactly the cell values at every scrape, without double counting', async () => {
    const registry = new Registry();
    const c = new CellCounter({
      name: 't_total',
      help: 'h',
      labelNames: ['a', 'b'] as const,
      registry,
    });
    const hot = c.cell({ a: 'x', b: 'y' });
    hot.value += 3;
    c.inc({ a: 'x', b: 'z' }, 2);
    c.inc({ a: 'x', b: 'y' });
    const first = await registry.metrics();
    const second = await registry.metrics();
    expect(first).toBe(second);
    expect(first).toContain('t_total{a="x",b="y"} 4');
    expect(first).toContain('t_total{a="x",b="z"} 2');
    expect(c.cell({ a: 'x', b: 'y' })).toBe(hot);
  });

  it('publishes a series at 0 from its first lookup, so rate() sees its start', async () => {
    const registry = new Registry();
    const c = new CellCounter({ name: 'z_total', help: 'h', labelNames: ['a'] as const, registry });
    c.cell({ a: 'q' });
    expect(await registry.metrics()).toContain('z_total{a="q"} 0');
  });
});
