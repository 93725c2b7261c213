import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppDeps } from '../../service/app.ts';
import { createApp } from '../../service/app.ts';
import { buildDeps } from '../../service/build.ts';
import { loadConfig } from '../../service/config.ts';
import { silentLogger } from '../../service/logger.ts';

/** One service instance with the real wiring (loadConfig → buildDeps → createApp) on a free port. */
export interface InProcessService {
  readonly url: string;
  readonly deps: AppDeps;
  close(): Promise<void>;
}

/** Starts the real wiring in this process from `env` (validated by loadConfig like main.ts). */
export async function startInProcess(env: Record<string, string>): Promise<InProcessService> {
  const config = loadConfig({ NODE_ENV: 'test', ESTIMATOR_ENABLED: 'false', ...env });
  const deps = buildDeps(config, silentLogger);
  const server: Server = createServer(createApp(deps));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    deps,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await Promise.all([deps.cache.close(), deps.loadLock?.close()]);
    },
  };
}
