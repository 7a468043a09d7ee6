import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Env } from './types.js';

export interface RunningServer {
  /** `http://host:port` (the real port when 0 was asked for). */
  readonly url: string;
  readonly port: number;
  /** Requests being handled right now. */
  inFlight(): number;
  /**
   * Graceful stop: refuse new connections, let in-flight requests finish (closing keep-alive
   * connections as they go idle), and cut whatever is left after `timeoutMs`. Resolves with
   * the number of requests that were cut.
   */
  close(timeoutMs?: number): Promise<number>;
}

/**
 * Serves the app on a real socket (@hono/node-server).
 *
 * @example
 *   const server = await listen(createApp(deps), { host: '127.0.0.1', port: 0 });
 *   await fetch(`${server.url}/healthz`);
 *   await server.close(10_000);
 */
export function listen(app: Hono<Env>, o: { host: string; port: number }): Promise<RunningServer> {
  let active = 0;
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: o.host, port: o.port }) as Server;
    server.on('request', (_req, res) => {
      active++;
      res.once('close', () => active--);
    });
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const host = o.host.includes(':') ? `[${o.host}]` : o.host;
      resolve({ url: `http://${host}:${port}`, port, inFlight: () => active, close: (t) => shutdown(server, () => active, t ?? 10_000) });
    });
  });
}

function shutdown(server: Server, inFlight: () => number, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    let cut = 0;
    // idle keep-alive connections close now and as soon as their current response is sent
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => {
      cut = inFlight();
      server.closeAllConnections();
    }, timeoutMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve(cut);
    });
    server.closeIdleConnections();
  });
}
