import { createServer } from 'node:http';
import { createApp } from './app.ts';
import { buildCache, buildDeps, implClassName } from './build.ts';
import { type Config, ConfigError, configRedactor, loadConfig, parseConfigFile } from './config.ts';
import { ConfigReloader, readConfigFile } from './config-reload.ts';
import { GracefulDrain } from './drain.ts';
import { createLogger } from './logger.ts';
import type { Redactor } from './redact.ts';
import { RuntimeConfigApplier, warnUnknownPatterns } from './runtime-config.ts';

/** The environment, overridden by `CACHE_CONFIG_FILE` when set; exits 1 naming a bad variable. */
function startConfig(redact: Redactor): { config: Config; fileText: string } {
  try {
    const fromEnv = loadConfig();
    if (!fromEnv.CACHE_CONFIG_FILE) return { config: fromEnv, fileText: '' };
    const fileText = readConfigFile(fromEnv.CACHE_CONFIG_FILE);
    return { config: loadConfig(undefined, parseConfigFile(fileText)), fileText };
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        redact(`${err.message}\nSee .env.example for every variable and its default.\n`),
      );
      process.exit(1);
    }
    throw err;
  }
}

/**
 * The process entry point: parses config (exit 1 naming the bad variable), builds the
 * dependencies, listens (exit 1 with a clear message when the port is taken), reloads
 * `CACHE_CONFIG_FILE` on SIGHUP and on change, and on SIGTERM/SIGINT drains (see
 * `GracefulDrain`) until SHUTDOWN_TIMEOUT_MS, closes the cache and exits.
 */
function main(): void {
  // Credentials in settings (REDIS_URL) are scrubbed from everything this process writes.
  const redact = configRedactor();
  process.on('uncaughtException', (err) => fatal(redact, 'uncaught exception', err));
  process.on('unhandledRejection', (err) => fatal(redact, 'unhandled rejection', err));
  const { config, fileText } = startConfig(redact);
  const logger = createLogger(config.LOG_LEVEL, (line) => process.stdout.write(redact(line)));
  let drain: GracefulDrain | undefined;
  const deps = buildDeps(config, logger, () => drain?.isDraining ?? false);
  const applier = new RuntimeConfigApplier(
    {
      cache: deps.cache,
      settings: deps.settings,
      build: (c) => buildCache(c, deps.metrics, logger),
      logger,
      // A retired RedisCache no longer reports its breaker: its gauge must not stay at 1.
      onRetired: (impl) => {
        if (impl === 'redis' && deps.cache.impl !== 'redis')
          deps.metrics.circuitOpen.set({ impl: 'redis' }, 0);
      },
    },
    config,
  );
  const reloader = config.CACHE_CONFIG_FILE
    ? new ConfigReloader(
        {
          path: config.CACHE_CONFIG_FILE,
          load: (fileVars) => loadConfig(undefined, fileVars),
          apply: (next) => applier.apply(next),
          metrics: deps.metrics,
          logger,
        },
        config,
        fileText,
      )
    : undefined;
  const app = createApp({
    ...deps,
    ...(reloader ? { configStatus: () => reloader.status() } : {}),
  });
  const server = createServer((req, res) => {
    drain?.onRequest(req, res);
    app(req, res);
  });
  drain = new GracefulDrain(server);

  server.on('error', (err: NodeJS.ErrnoException) => {
    const why =
      err.code === 'EADDRINUSE'
        ? `port ${config.PORT} is already in use (EADDRINUSE): stop the other process or set PORT`
        : `cannot listen on port ${config.PORT}: ${err.message}`;
    logger.error(`server failed to start: ${why}`, { code: err.code, port: config.PORT });
    process.exit(1);
  });
  server.listen(config.PORT, () => {
    const address = server.address();
    const bound = typeof address === 'object' && address ? address : undefined;
    const port = bound?.port ?? config.PORT;
    const state = deps.cache.isEnabled ? 'enabled' : 'disabled';
    logger.info(`Cache: ${state} (impl: ${implClassName(deps.cache.impl)})`, {
      featureCache: config.FEATURE_CACHE,
      cacheImpl: config.CACHE_IMPL,
      l1: config.CACHE_IMPL === 'redis' && config.CACHE_L1,
      whitelist: config.CACHE_PATTERNS ?? null,
      abControlPercent: config.CACHE_AB_CONTROL_PERCENT,
      configFile: config.CACHE_CONFIG_FILE ?? null,
      graceSeconds: config.CACHE_GRACE_SECONDS,
      earlyRefreshBeta: config.CACHE_EARLY_REFRESH_BETA,
      lock: config.CACHE_LOCK,
      sourceFaults: deps.source.faults,
    });
    const unknown = deps.cache.unknownWhitelisted();
    if (unknown.length > 0) warnUnknownPatterns(logger, unknown);
    // Logged only once bound; `address` is what was really bound (all interfaces: "::").
    logger.info(`listening on http://127.0.0.1:${port}`, {
      port,
      address: bound?.address ?? null,
      nodeEnv: config.NODE_ENV,
      pid: process.pid,
    });
    reloader?.start(config.CACHE_CONFIG_POLL_MS);
  });

  process.on('SIGHUP', () => {
    if (reloader) void reloader.reload('SIGHUP');
    else logger.warn('SIGHUP ignored: CACHE_CONFIG_FILE is not set');
  });

  const shutdown = (signal: string) => {
    if (!drain || drain.isDraining) return;
    reloader?.stop();
    logger.info('shutting down: draining in-flight requests', {
      signal,
      inFlight: drain.inFlight,
      timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    });
    const active = drain;
    const force = setTimeout(() => {
      const cut = active.forceClose();
      logger.warn('shutdown timeout: closed the remaining connections', {
        timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
        cutRequests: cut,
      });
    }, config.SHUTDOWN_TIMEOUT_MS);
    force.unref();
    active.drain(async () => {
      clearTimeout(force);
      await Promise.all([deps.cache.close(), deps.loadLock?.close()]);
      logger.info('shutdown complete');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/**
 * Last resort: one scrubbed line on stderr, exit 1. Node's default would print the error
 * with util.inspect, whose properties (a URL error's `input`) may quote a setting.
 */
function fatal(redact: Redactor, what: string, err: unknown): never {
  const text =
    err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
  process.stderr.write(redact(`fatal: ${what}: ${text}\n`));
  process.exit(1);
}

main();
