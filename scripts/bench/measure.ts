/** The median of `xs` (the upper one of an even count; 0 when empty). */
export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Result of one measured operation. */
export interface Measurement {
  readonly name: string;
  /** Median ns per operation over the rounds. */
  readonly nsPerOp: number;
}

/**
 * Times `op` (sync or async) `iterations` times per round after a warm-up round, over
 * `rounds` rounds, and returns the median ns/op: the median shrugs off a round disturbed
 * by GC or another process.
 */
export async function measure(
  name: string,
  op: (i: number) => unknown,
  { iterations = 200_000, rounds = 7 }: { iterations?: number; rounds?: number } = {},
): Promise<Measurement> {
  const perRound: number[] = [];
  for (let r = 0; r <= rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
      const x = op(i);
      if (x instanceof Promise) await x;
    }
    const ns = Number(process.hrtime.bigint() - t0) / iterations;
    if (r > 0) perRound.push(ns); // round 0 warms up the JIT
  }
  perRound.sort((a, b) => a - b);
  return { name, nsPerOp: perRound[Math.floor(perRound.length / 2)] ?? Number.NaN };
}

/** Prints a table of measurements with their ratio to `baseline`. */
export function report(title: string, rows: readonly Measurement[], baseline: Measurement): void {
  process.stdout.write(`\n${title}\n`);
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const ratio = r.nsPerOp / baseline.nsPerOp;
    process.stdout.write(
      `  ${r.name.padEnd(width)}  ${r.nsPerOp.toFixed(1).padStart(9)} ns/op  ${ratio.toFixed(2).padStart(6)}× ${baseline.name}\n`,
    );
  }
}
