import type { Server } from 'node:http';
import { createApp } from './app.ts';
import { buildDeps, implClassName } from './build.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';

/**
 * The process entry point: parses config (exit 1 naming the bad variable), builds the
 * dependencies, listens, and on SIGTERM/SIGINT stops accepting, lets in-flight requests
 * finish (up to SHUTDOWN_TIMEOUT_MS), closes the cache and exits.
 */
function main(): void {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(
        `${err.message}\nSee .env.example for every variable and its default.\n`,
      );
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  let draining = false;
  const deps = buildDeps(config, logger, () => draining);
  const app = createApp(deps);
  const server: Server = app.listen(config.PORT, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    const state = deps.cache.isEnabled ? 'enabled' : 'disabled';
    logger.info(`Cache: ${state} (impl: ${implClassName(deps.cache.impl)})`, {
      featureCache: config.FEATURE_CACHE,
      cacheImpl: config.CACHE_IMPL,
      l1: config.CACHE_IMPL === 'redis' && config.CACHE_L1,
      whitelist: config.CACHE_PATTERNS ?? null,
      abControlPercent: config.CACHE_AB_CONTROL_PERCENT,
      graceSeconds: config.CACHE_GRACE_SECONDS,
      earlyRefreshBeta: config.CACHE_EARLY_REFRESH_BETA,
      lock: config.CACHE_LOCK,
      sourceFaults: deps.source.faults,
    });
    logger.info(`listening on http://127.0.0.1:${port}`, { port, nodeEnv: config.NODE_ENV });
  });
  server.on('error', (err) => {
    logger.error('server failed to start', { err: err.message, port: config.PORT });
    process.exit(1);
  });

  const shutdown = (signal: string) => {
    if (draining) return;
    draining = true;
    logger.info('shutting down: draining in-flight requests', { signal });
    const force = setTimeout(() => {
      logger.warn('shutdown timeout: closing remaining connections', {
        timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      });
      server.closeAllConnections();
    }, config.SHUTDOWN_TIMEOUT_MS);
    force.unref();
    server.close(async () => {
      await Promise.all([deps.cache.close(), deps.loadLock?.close()]);
      logger.info('shutdown complete');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main();
