import net from 'node:net';

/** A TCP proxy a test controls, to make a real server "unreachable" without stopping it. */
export interface TcpProxy {
  /** Port on 127.0.0.1 that forwards to the target. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>` style URL for `scheme`. */
  url(scheme?: string): string;
  /** Connections currently forwarded. */
  readonly connections: number;
  /** Resets every open connection and refuses new ones (a crashed server / dropped link). */
  cut(): void;
  /** Keeps connections open but silently drops all bytes both ways (a network black hole). */
  blackhole(): void;
  /** Back to forwarding; clients reconnect by themselves. Black-holed sockets are reset. */
  restore(): void;
  close(): Promise<void>;
}

type Mode = 'forward' | 'cut' | 'blackhole';

/**
 * Starts a proxy on a random free port in front of `target` (e.g. the real Redis).
 * While cut, new connections are accepted and immediately reset, so clients see the
 * same errors as a dead server while the port stays ours (no race for it on restore).
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: Mode = 'forward';
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();

  const drop = (pair: { client: net.Socket; upstream: net.Socket }): void => {
    pair.client.resetAndDestroy();
    pair.upstream.destroy();
    pairs.delete(pair);
  };

  const server = net.createServer((client) => {
    if (mode === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    client.on('data', (chunk) => {
      if (mode === 'forward') upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (mode === 'forward') client.write(chunk);
    });
    const end = () => {
      if (pairs.has(pair)) drop(pair);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');

  return {
    port: address.port,
    url: (scheme = 'redis') => `${scheme}://127.0.0.1:${address.port}`,
    get connections() {
      return pairs.size;
    },
    cut() {
      mode = 'cut';
      for (const pair of [...pairs]) drop(pair);
    },
    blackhole() {
      mode = 'blackhole';
    },
    restore() {
      // A black-holed stream has lost bytes mid-protocol: it cannot be resumed safely.
      if (mode === 'blackhole') for (const pair of [...pairs]) drop(pair);
      mode = 'forward';
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of [...pairs]) drop(pair);
        server.close(() => resolve());
      }),
  };
}
