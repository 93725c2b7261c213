import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A CACHE_CONFIG_FILE in a fresh temp directory, rewritten atomically (write + rename). */
export interface ConfigFile {
  readonly path: string;
  /** Replaces the file's content with these KEY=VALUE lines. */
  write(vars: Readonly<Record<string, string>>): void;
  /** Replaces the file's content with raw text. */
  writeText(text: string): void;
  remove(): void;
}

export function tempConfigFile(initial: Readonly<Record<string, string>>): ConfigFile {
  const dir = mkdtempSync(join(tmpdir(), 'cache-config-'));
  const path = join(dir, 'cache.env');
  let n = 0;
  // Rename, like the kubelet's symlink swap: the service never reads a half-written file.
  const writeText = (text: string) => {
    const tmp = join(dir, `.next-${n++}`);
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  };
  const write = (vars: Readonly<Record<string, string>>) =>
    writeText(
      `${Object.entries(vars)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n')}\n`,
    );
  write(initial);
  return { path, write, writeText, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls `check` every 50 ms until it returns true; resolves with the ms it took, or throws. */
export async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The value of one sample in a Prometheus text exposition, or undefined. */
export function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}
