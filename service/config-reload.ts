import { readFileSync } from 'node:fs';
import {
  type Config,
  ConfigError,
  parseConfigFile,
  RUNTIME_VARIABLES,
  type RuntimeVariable,
} from './config.ts';
import type { Logger } from './logger.ts';
import { RELOAD_RESULTS, type ReloadResult } from './metrics/names.ts';
import type { Metrics } from './metrics/registry.ts';

/** Reads `CACHE_CONFIG_FILE`; an unreadable file is a `ConfigError` naming the variable. */
export function readConfigFile(path: string, read = readFileSync): string {
  try {
    return read(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError([`CACHE_CONFIG_FILE ${JSON.stringify(path)} cannot be read (${code})`]);
  }
}

/** What `ConfigReloader` needs. */
export interface ConfigReloaderDeps {
  readonly path: string;
  /** Validates the environment overridden by the file's variables (`loadConfig`). */
  readonly load: (fileVars: Record<string, string>) => Config;
  /** Applies the run-time settings of a valid configuration (`RuntimeConfigApplier`). */
  readonly apply: (next: Config) => Promise<void>;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** @default fs.readFileSync */
  readonly read?: typeof readFileSync;
}

/** The reload part of `/internal/cache` and `/health`. */
export interface ReloadStatus {
  readonly file: string;
  readonly lastResult: ReloadResult;
  readonly lastSuccessAt: string;
  readonly lastAttemptAt: string;
  /** Why the last reload failed (variable names and what they allow), else null. */
  readonly lastError: string | null;
  /** Variables changed in the file that only a restart applies. */
  readonly restartPending: readonly string[];
  /** The run-time settings in force (the values last applied). */
  readonly applied: Readonly<Record<RuntimeVariable, unknown>>;
}

const runtimeOf = (c: Config): Record<RuntimeVariable, unknown> =>
  Object.fromEntries(RUNTIME_VARIABLES.map((k) => [k, c[k] ?? null])) as Record<
    RuntimeVariable,
    unknown
  >;

type Trigger = 'SIGHUP' | 'file';
// Stands for "could not read" in the change detection (no file content equals it).
const UNREADABLE = '\0unreadable';

/**
 * Re-reads `CACHE_CONFIG_FILE` on SIGHUP (`reload`) and when its content changes
 * (`start` polls it; content, not mtime, so Kubernetes' symlink swap of a ConfigMap
 * volume is seen). A file that does not validate changes nothing: the running config
 * stays, the error is logged naming the variable, and `cache_config_reloads_total`,
 * `cache_config_last_reload_successful` and `..._success_timestamp_seconds` record it.
 * Reloads run one at a time.
 */
export class ConfigReloader {
  private running: Config;
  private lastText: string;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private pollQueued = false;
  private state: ReloadStatus;

  /** `initial` is the running configuration, `text` the file content it was loaded with. */
  constructor(
    private readonly deps: ConfigReloaderDeps,
    initial: Config,
    text: string,
  ) {
    this.running = initial;
    this.lastText = text;
    const now = new Date().toISOString();
    this.state = {
      file: deps.path,
      lastResult: 'success',
      lastSuccessAt: now,
      lastAttemptAt: now,
      lastError: null,
      restartPending: [],
      applied: runtimeOf(initial),
    };
    for (const result of RELOAD_RESULTS) deps.metrics.configReloads.inc({ result }, 0);
    deps.metrics.configLastReloadSuccessful.set(1);
    deps.metrics.configLastReloadSuccessTime.set(Date.now() / 1000);
  }

  /** The configuration in force (run-time settings as last applied). */
  get config(): Config {
    return this.running;
  }

  status(): ReloadStatus {
    return this.state;
  }

  /** Reloads now (SIGHUP). Resolves true when the file applied. */
  reload(trigger: Trigger = 'SIGHUP'): Promise<boolean> {
    const next = this.queue.then(() => this.reloadNow(trigger));
    this.queue = next;
    return next;
  }

  /** Polls the file every `intervalMs` and reloads when its content changed. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      let text: string;
      try {
        text = (this.deps.read ?? readFileSync)(this.deps.path, 'utf8');
      } catch {
        text = UNREADABLE;
      }
      // One file-triggered reload at a time: a slow one (a swap draining) is not queued twice.
      if (text === this.lastText || this.pollQueued) return;
      this.pollQueued = true;
      void this.reload('file').finally(() => {
        this.pollQueued = false;
      });
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async reloadNow(trigger: Trigger): Promise<boolean> {
    const { metrics, logger } = this.deps;
    const attempt = new Date();
    let readOk = false;
    try {
      const text = readConfigFile(this.deps.path, this.deps.read);
      readOk = true;
      this.lastText = text;
      const loaded = this.deps.load(parseConfigFile(text));
      const changed = RUNTIME_VARIABLES.filter(
        (k) => JSON.stringify(loaded[k]) !== JSON.stringify(this.running[k]),
      );
      const restartPending = (Object.keys(loaded) as (keyof Config)[]).filter(
        (k) =>
          !(RUNTIME_VARIABLES as readonly string[]).includes(k) &&
          JSON.stringify(loaded[k]) !== JSON.stringify(this.running[k]),
      );
      await this.deps.apply(loaded);
      const runtime = Object.fromEntries(RUNTIME_VARIABLES.map((k) => [k, loaded[k]]));
      this.running = { ...this.running, ...runtime };
      metrics.configReloads.inc({ result: 'success' });
      metrics.configLastReloadSuccessful.set(1);
      metrics.configLastReloadSuccessTime.set(attempt.getTime() / 1000);
      this.state = {
        ...this.state,
        lastResult: 'success',
        lastSuccessAt: attempt.toISOString(),
        lastAttemptAt: attempt.toISOString(),
        lastError: null,
        restartPending,
        applied: runtimeOf(this.running),
      };
      logger.info('configuration reloaded', { trigger, file: this.deps.path, changed });
      if (restartPending.length > 0)
        logger.warn('configuration changes that need a restart were not applied', {
          variables: restartPending,
        });
      return true;
    } catch (err) {
      if (!readOk) this.lastText = UNREADABLE;
      const why = err instanceof ConfigError ? err.problems.join('; ') : String(err);
      metrics.configReloads.inc({ result: 'failure' });
      metrics.configLastReloadSuccessful.set(0);
      this.state = {
        ...this.state,
        lastResult: 'failure',
        lastAttemptAt: attempt.toISOString(),
        lastError: why,
      };
      logger.error('configuration reload failed; the running configuration stays', {
        trigger,
        file: this.deps.path,
        err: why,
      });
      return false;
    }
  }
}
