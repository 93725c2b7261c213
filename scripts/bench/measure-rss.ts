/**
 * Peak and final RSS of the real service under `make load`-style load, for sizing the pod's
 * memory request/limit and V8 heap (k8s/workload.ts). Staging settings: NODE_ENV=production,
 * FEATURE_CACHE=true, CACHE_IMPL=null (estimator on).
 *
 *   npx tsx scripts/bench/measure-rss.ts [--rate 300] [--duration 120] [--node-options=--max-old-space-size=96]
 *
 * RSS is read from /proc/<pid>/status (VmRSS each second, VmHWM at the end).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runLoad } from '../loadgen/run-load.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '300' },
    duration: { type: 'string', default: '120' },
    'node-options': { type: 'string', default: '' },
    'cache-impl': { type: 'string', default: 'null' },
  },
});
const rate = Number(values.rate);
const durationS = Number(values.duration);
const nodeOptions = values['node-options'] ?? '';

const mib = (kb: number) => Math.round(kb / 1024);
function status(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(Vm\w+):\s+(\d+) kB/.exec(line);
    if (m?.[1] && m[2]) out[m[1]] = Number(m[2]);
  }
  return out;
}

const child = spawn(process.execPath, ['--import', 'tsx', 'service/main.ts'], {
  env: {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    PORT: '0',
    FEATURE_CACHE: 'true',
    CACHE_IMPL: values['cache-impl'] ?? 'null',
    ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await new Promise<number>((resolve, reject) => {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  child.once('exit', (code) => reject(new Error(`service exited with ${code}`)));
});
const pid = child.pid ?? 0;
const idle = status(pid).VmRSS ?? 0;
let peak = 0;
const timer = setInterval(() => {
  peak = Math.max(peak, status(pid).VmRSS ?? 0);
}, 1000);
const stats = await runLoad({
  url: `http://127.0.0.1:${port}`,
  durationMs: durationS * 1000,
  rate,
});
clearInterval(timer);
const end = status(pid);
child.kill('SIGTERM');
console.log(
  JSON.stringify({
    nodeOptions: nodeOptions || '(none)',
    rate,
    durationS,
    requests: stats.sent,
    failed: stats.failed,
    idleRssMiB: mib(idle),
    peakRssMiB: mib(Math.max(peak, end.VmHWM ?? 0)),
    endRssMiB: mib(end.VmRSS ?? 0),
  }),
);
