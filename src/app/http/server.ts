import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
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
   * Graceful stop: refuse new connections, answer every request still arriving on an open
   * connection with `Connection: close`, close connections that sit idle, and cut whatever is
   * left after `timeoutMs`. Resolves with the number of requests that were cut.
   */
  close(timeoutMs?: number): Promise<number>;
}

/**
 * A connection idle this long when the drain starts (or later) is closed by the server. A client
 * under load sends its next request within a millisecond or two of an answer, and that request
 * is then answered with `Connection: close`; closing a connection at the very moment its client
 * reuses it is what resets the client's request, so only connections quiet for a while are cut.
 * 3 s, below node's 5 s keep-alive timeout: at 1 s a client starved of CPU on a loaded machine
 * (load average 5–15, 2026-12-07) was twice caught sending into a connection being closed
 * (test/e2e/serve-drain.test.ts, one ECONNRESET among thousands of requests).
 */
const IDLE_GRACE_MS = 3000;
const SWEEP_MS = 100;

interface Conn {
  /** Requests received and not yet answered. */
  busy: number;
  idleSince: number;
  /** The response being written (one at a time: clients do not pipeline). */
  res?: ServerResponse;
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
  let draining = false;
  const conns = new Map<Socket, Conn>();
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: o.host, port: o.port }) as Server;
    server.on('connection', (s: Socket) => {
      conns.set(s, { busy: 0, idleSince: Date.now() });
      s.once('close', () => conns.delete(s));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      active++;
      const conn = conns.get(req.socket);
      if (conn) {
        conn.busy++;
        conn.res = res;
      }
      // node then sends `Connection: close` and closes the connection once this answer is out
      if (draining) res.shouldKeepAlive = false;
      res.once('close', () => {
        active--;
        if (conn) {
          conn.busy--;
          conn.idleSince = Date.now();
          if (conn.res === res) conn.res = undefined;
        }
      });
    });
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const host = o.host.includes(':') ? `[${o.host}]` : o.host;
      const close = (t?: number) => {
        draining = true;
        return shutdown(server, conns, () => active, t ?? 10_000);
      };
      resolve({ url: `http://${host}:${port}`, port, inFlight: () => active, close });
    });
  });
}

function shutdown(server: Server, conns: Map<Socket, Conn>, inFlight: () => number, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    let cut = 0;
    // answers not yet started go out with `Connection: close`: their clients open no new request on them
    for (const c of conns.values()) if (c.res && !c.res.headersSent) c.res.shouldKeepAlive = false;
    const sweep = () => {
      const now = Date.now();
      for (const [s, c] of conns) if (c.busy === 0 && now - c.idleSince >= IDLE_GRACE_MS) s.destroy();
    };
    const sweeper = setInterval(sweep, SWEEP_MS);
    const deadline = setTimeout(() => {
      cut = inFlight();
      server.closeAllConnections();
    }, timeoutMs);
    // net.Server's close, not http.Server's: the latter also closes every idle connection at once,
    // including those whose clients are sending their next request right now (ECONNRESET for them)
    NetServer.prototype.close.call(server, () => {
      clearInterval(sweeper);
      clearTimeout(deadline);
      resolve(cut);
    });
    sweep();
  });
}
