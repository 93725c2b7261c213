import type { Candidate } from './candidates.ts';
import { hitRatioAt } from './curve.ts';

const W = 520;
const H = 260;
const PAD = { left: 52, right: 16, top: 28, bottom: 40 };

/** File name of a candidate's curve next to the Markdown (patterns are `[a-z0-9_-]` shaped). */
export const curveFileName = (pattern: string): string =>
  `phase2-curve-${pattern.replace(/[^\w-]/g, '_')}.svg`;

const human = (b: number) =>
  b >= 1_073_741_824
    ? `${(b / 1_073_741_824).toFixed(1)} GiB`
    : b >= 1_048_576
      ? `${(b / 1_048_576).toFixed(1)} MiB`
      : `${Math.round(b / 1_024)} KiB`;

const esc = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A candidate's hit ratio against Redis memory (log scale) as a standalone SVG: the curve
 * over the window, the recommended size marked, and the memory it gets under the report's
 * `maxmemory` (when different).
 */
export function curveSvg(c: Candidate, allottedBytes: number | null): string {
  const pts = c.curve.filter((p) => p.sizeBytes > 0);
  const first = pts[0];
  const last = pts.at(-1);
  if (!first || !last) return '';
  const lo = Math.log2(first.sizeBytes);
  const hi = Math.max(lo + 1, Math.log2(last.sizeBytes));
  const x = (b: number) =>
    PAD.left +
    ((Math.log2(Math.max(b, first.sizeBytes)) - lo) / (hi - lo)) * (W - PAD.left - PAD.right);
  const y = (r: number) => PAD.top + (1 - r) * (H - PAD.top - PAD.bottom);
  const line = pts.map((p) => `${x(p.sizeBytes).toFixed(1)},${y(p.hitRatio).toFixed(1)}`).join(' ');
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(c.pattern)}: hit ratio vs Redis memory</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${PAD.left}" y="16" font-size="13" font-weight="bold">${esc(c.pattern)}: estimated hit ratio vs Redis memory (allkeys-lru)</text>`,
  ];
  for (const r of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(r)}" y2="${y(r)}" stroke="#ddd"/>`,
      `<text x="${PAD.left - 6}" y="${y(r) + 4}" text-anchor="end">${r.toFixed(2)}</text>`,
    );
  }
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e += Math.max(1, Math.ceil((hi - lo) / 6))) {
    const b = 2 ** e;
    out.push(
      `<line x1="${x(b)}" x2="${x(b)}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#eee"/>`,
      `<text x="${x(b)}" y="${H - PAD.bottom + 14}" text-anchor="middle">${human(b)}</text>`,
    );
  }
  out.push(
    `<text x="${(PAD.left + W - PAD.right) / 2}" y="${H - 8}" text-anchor="middle">Redis memory for this pattern (log scale)</text>`,
    `<polyline points="${line}" fill="none" stroke="#1f77b4" stroke-width="2"/>`,
  );
  const mark = (bytes: number, ratio: number, color: string, label: string) => {
    out.push(
      `<circle cx="${x(bytes).toFixed(1)}" cy="${y(ratio).toFixed(1)}" r="5" fill="${color}"/>`,
      `<text x="${(x(bytes) + 8).toFixed(1)}" y="${(y(ratio) + 16).toFixed(1)}" fill="${color}">${esc(label)}</text>`,
    );
  };
  if (c.memoryBytes !== null) {
    const r = hitRatioAt(c.curve, c.memoryBytes);
    mark(c.memoryBytes, r, '#d62728', `recommended ${human(c.memoryBytes)} → ${r.toFixed(2)}`);
  }
  if (allottedBytes !== null && c.memoryBytes !== null && allottedBytes > c.memoryBytes * 1.05) {
    const r = hitRatioAt(c.curve, allottedBytes);
    mark(allottedBytes, r, '#2ca02c', `under maxmemory ${human(allottedBytes)} → ${r.toFixed(2)}`);
  }
  out.push('</svg>', '');
  return out.join('\n');
}
