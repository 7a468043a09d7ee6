/**
 * A TCP proxy in front of a real server (PostgreSQL, Redis, NATS) for fault-injection tests: the
 * code under test connects to the proxy, the test cuts and restores the link. The servers
 * themselves are never touched (other tests use them at the same time).
 *
 *   reset      open connections are reset, new ones are accepted and reset at once (a server that
 *              is down or restarting: clients see ECONNRESET at once)
 *   blackhole  nothing is forwarded any more, in either direction, and new connections hang
 *              unanswered (a network partition: only timeouts notice)
 *   pg-refuse  (PostgreSQL only) open connections are reset, new ones get a FATAL ErrorResponse
 *              with the SQLSTATE given to cut() (53300 too many connections, 57P03 starting up,
 *              …), as a server that is up but refusing work answers
 */
import net from 'node:net';

export type CutMode = 'reset' | 'blackhole' | 'pg-refuse';

/** A PostgreSQL ErrorResponse message (protocol 3) with severity FATAL. */
function pgFatal(sqlstate: string, message: string): Buffer {
  const fields = Buffer.concat([...['SFATAL', 'VFATAL', `C${sqlstate}`, `M${message}`].map((f) => Buffer.from(`${f}\0`)), Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([head, fields]);
}

interface Pair {
  readonly client: net.Socket;
  upstream?: net.Socket;
}

export class TcpProxy {
  private mode: 'forward' | CutMode = 'forward';
  private refusal = { sqlstate: '53300', message: 'sorry, too many clients already' };
  private readonly pairs = new Set<Pair>();
  /** Connections accepted so far (the cut ones included). */
  accepted = 0;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** Starts a proxy on 127.0.0.1 (a free port) forwarding to `target`. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = net.createServer((client) => proxy!.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port, target);
    return proxy;
  }

  /** Starts a proxy for the server in `url` and returns it with `url` rewritten to go through it. */
  static async forUrl(url: string, defaultPort: number): Promise<{ proxy: TcpProxy; url: string }> {
    const u = new URL(url);
    const proxy = await TcpProxy.start({ host: u.hostname || '127.0.0.1', port: Number(u.port) || defaultPort });
    u.hostname = '127.0.0.1';
    u.port = String(proxy.port);
    return { proxy, url: u.href };
  }

  get state(): 'forward' | CutMode {
    return this.mode;
  }

  /** Cuts the link (see the modes above); `refusal` is what pg-refuse answers. */
  cut(mode: CutMode = 'reset', refusal?: { sqlstate: string; message: string }): void {
    this.mode = mode;
    if (refusal) this.refusal = refusal;
    for (const p of this.pairs) {
      if (mode === 'reset' || mode === 'pg-refuse') this.drop(p);
      else {
        // stop forwarding both ways; the sockets stay open and silent
        p.client.unpipe();
        p.upstream?.unpipe();
        p.client.pause();
        p.upstream?.pause();
      }
    }
  }

  /** Forwards new connections again; connections held by a blackhole are reset (they were dead). */
  restore(): void {
    if (this.mode === 'blackhole') for (const p of this.pairs) this.drop(p);
    this.mode = 'forward';
  }

  async close(): Promise<void> {
    for (const p of this.pairs) this.drop(p);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    client.on('error', () => undefined);
    if (this.mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    if (this.mode === 'pg-refuse') {
      // the client speaks first (SSLRequest or StartupMessage): decline SSL, refuse the startup
      client.on('data', (d: Buffer) => {
        const sslRequest = d.length === 8 && d.readInt32BE(4) === 80877103;
        if (sslRequest) client.write('N');
        else client.end(pgFatal(this.refusal.sqlstate, this.refusal.message));
      });
      return;
    }
    const pair: Pair = { client };
    this.pairs.add(pair);
    client.on('close', () => this.drop(pair));
    if (this.mode === 'blackhole') {
      client.pause();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    pair.upstream = upstream;
    upstream.on('error', () => this.drop(pair));
    upstream.on('close', () => this.drop(pair));
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private drop(p: Pair): void {
    if (!this.pairs.delete(p)) return;
    if (!p.client.destroyed) p.client.resetAndDestroy();
    if (p.upstream && !p.upstream.destroyed) p.upstream.resetAndDestroy();
  }
}
