import type { Cache } from './cache/cache.ts';
import type { CacheRegistry } from './cache/registry.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';

/** Settings the request path reads on every request, so a reload changes them at once. */
export interface RuntimeSettings {
  /** TTL of values cached by the example API (CACHE_TTL_SECONDS), ms. */
  ttlMs: number;
  /** CACHE_AB_CONTROL_PERCENT. */
  abControlPercent: number;
}

/** The runtime settings of a configuration. */
export const runtimeSettings = (c: Config): RuntimeSettings => ({
  ttlMs: c.CACHE_TTL_SECONDS * 1000,
  abControlPercent: c.CACHE_AB_CONTROL_PERCENT,
});

/** What `applyRuntimeConfig` needs. */
export interface RuntimeApplyDeps {
  readonly cache: CacheRegistry;
  readonly settings: RuntimeSettings;
  /** Builds the implementation a configuration names (`buildCache`). */
  readonly build: (c: Config) => Cache;
  readonly logger: Logger;
  /** Called once a replaced implementation has drained and closed, with its name. */
  readonly onRetired?: (impl: string) => void;
}

// The settings an implementation is built from that may change at run time: a change
// of any of them swaps in a freshly built implementation.
const implKey = (c: Config): string => JSON.stringify([c.CACHE_IMPL, c.REDIS_TIMEOUT_MS]);

/**
 * Applies the run-time settings of configurations to a running service through the
 * registry. The implementation is rebuilt only when CACHE_IMPL or REDIS_TIMEOUT_MS
 * change while FEATURE_CACHE is on; turning FEATURE_CACHE off keeps it (re-enabling is
 * then instant).
 */
export class RuntimeConfigApplier {
  private built: string;

  /** `initial` is the configuration the service was started with. */
  constructor(
    private readonly deps: RuntimeApplyDeps,
    initial: Config,
  ) {
    // At start with FEATURE_CACHE=false the registry holds a NullCache (build.ts).
    this.built = initial.FEATURE_CACHE ? implKey(initial) : JSON.stringify(['null']);
  }

  /**
   * Applies `next`. Builds a new implementation first (the only step that can throw), so
   * a failure changes nothing; resolves once a replaced implementation has drained.
   */
  async apply(next: Config): Promise<void> {
    const { cache, settings } = this.deps;
    const key = implKey(next);
    const fresh = next.FEATURE_CACHE && key !== this.built ? this.deps.build(next) : undefined;
    if (!next.FEATURE_CACHE) cache.setEnabled(false);
    settings.ttlMs = next.CACHE_TTL_SECONDS * 1000;
    settings.abControlPercent = next.CACHE_AB_CONTROL_PERCENT;
    cache.setWhitelist(next.CACHE_PATTERNS ?? null);
    const swapped = fresh
      ? cache.swap(fresh).then((old) => this.deps.onRetired?.(old.impl))
      : undefined;
    if (fresh) this.built = key;
    if (next.FEATURE_CACHE) cache.setEnabled(true);
    const unknown = cache.unknownWhitelisted();
    if (unknown.length > 0) warnUnknownPatterns(this.deps.logger, unknown);
    await swapped;
  }
}

/** The warning for whitelisted patterns the service has never seen (typos such as `users`). */
export function warnUnknownPatterns(logger: Logger, unknown: readonly string[]): void {
  logger.warn(
    'CACHE_PATTERNS names key patterns this service has never seen; they cache nothing until a key of that pattern appears',
    { unknownPatterns: unknown },
  );
}
