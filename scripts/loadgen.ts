import { parseArgs } from 'node:util';
import { percentile, runLoad } from './loadgen/run-load.ts';

const USAGE = `usage: tsx scripts/loadgen.ts [--url http://127.0.0.1:8900[,http://…]] [--duration 30] [--rate 200]
                              [--alpha 1.0] [--keys 2000] [--seed 1]
Drives the example MetaSheet API with Zipf-distributed ids over its key patterns
(several --url values, comma-separated, take requests in turn: round-robin).`;

function num(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    process.stderr.write(
      `loadgen: --${name} must be a number from ${min} to ${max}, got "${raw}"\n${USAGE}\n`,
    );
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string' },
        duration: { type: 'string' },
        rate: { type: 'string' },
        alpha: { type: 'string' },
        keys: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    process.stderr.write(`loadgen: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const urls = (str('url') ?? 'http://127.0.0.1:8900')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  const url = urls.join(', ');
  const durationS = num('duration', str('duration'), 30, 0.1, 86_400);
  const rate = num('rate', str('rate'), 200, 0.1, 100_000);
  for (const u of urls) {
    try {
      const health = await fetch(new URL('/health', u));
      if (!health.ok) throw new Error(`/health answered ${health.status}`);
    } catch (err) {
      process.stderr.write(
        `loadgen: the service at ${u} does not answer (${(err as Error).message}); start it with \`make dev\`\n`,
      );
      process.exit(1);
    }
  }
  const controller = new AbortController();
  process.on('SIGINT', () => controller.abort());
  process.stderr.write(`loadgen: ${rate} req/s for ${durationS} s against ${url}\n`);
  const stats = await runLoad({
    url: urls,
    durationMs: durationS * 1000,
    rate,
    alpha: num('alpha', str('alpha'), 1.0, 0, 5),
    keys: num('keys', str('keys'), 2000, 1, 10_000_000),
    seed: num('seed', str('seed'), 1, 0, 2 ** 31),
    signal: controller.signal,
    onProgress: (p) =>
      process.stderr.write(
        `\rloadgen: ${(p.elapsedMs / 1000).toFixed(0)}/${durationS}s sent=${p.sent} ok=${p.ok} 4xx=${p.clientErrors} failed=${p.failed} skipped=${p.skipped} p95=${percentile(p.latenciesMs, 95).toFixed(0)}ms   `,
      ),
  });
  process.stderr.write('\n');
  const summary = {
    seconds: +(stats.elapsedMs / 1000).toFixed(1),
    sent: stats.sent,
    ok: stats.ok,
    clientErrors: stats.clientErrors,
    failed: stats.failed,
    skipped: stats.skipped,
    p50Ms: +percentile(stats.latenciesMs, 50).toFixed(1),
    p95Ms: +percentile(stats.latenciesMs, 95).toFixed(1),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  if (stats.failed > 0) process.exitCode = 1;
}

await main();
