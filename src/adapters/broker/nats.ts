import { jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { IntentOpsError } from '../../core/errors.js';
import type { Broker, Channel, Delivery, PublishOptions } from '../../ports/broker.js';
import { maskUri } from '../uri.js';
import type { BrokerOptions } from './options.js';
import { ensureTopology } from './nats-topology.js';

/**
 * How long one pull request waits at the server for messages before the next one is sent. Also
 * about how long close() takes: a pull request cannot be cancelled, so close() keeps listening
 * until the open ones expire and hands back (nak) whatever still arrives, instead of leaving
 * those messages stranded until their ack wait. The client's minimum (1 s): an idle worker asks
 * once a second, a cheap request, and a stopping one is done within about a second instead of
 * three (a deploy's rolling restart, a scale-down; the tests that close brokers waited 3 s each).
 */
const PULL_EXPIRES_MS = 1000;
const RETRY_PULL_MS = 1000;

/**
 * NATS JetStream. Flow control is ours, not the client's `consume()` (which keeps pulling
 * whatever the caller does): pull requests ask for at most the free capacity, where received
 * but unsettled messages count against `maxInFlight`. So a slow worker never hoards messages
 * that an idle one could take, and `close()` has little to hand back. Messages held are kept
 * alive (`working()`) every third of the ack wait, so a long batch (an LLM call) is not
 * redelivered while its worker lives, and is redelivered within the ack wait once it died.
 */
export async function openNatsBroker(uri: string, o: Required<BrokerOptions>): Promise<Broker> {
  const nc = await connectTo(uri);
  try {
    const jsm = await jetstreamManager(nc).catch((e: unknown) => {
      throw new IntentOpsError('unavailable', `JetStream is not enabled on ${maskUri(uri)}: ${(e as Error).message}`, { where: 'broker', hint: 'start nats-server with JetStream: nats-server -js', cause: e });
    });
    const topo = await ensureTopology(jsm, o);
    const js = jetstream(nc);
    const consumer = await js.consumers.get(topo.inStream, o.consumer);
    const ackWaitMs = Number(topo.consumer.config.ack_wait ?? o.ackWaitMs * 1e6) / 1e6;
    return new NatsBroker(nc, js, consumer, o, ackWaitMs);
  } catch (e) {
    await nc.close().catch(() => undefined);
    throw e;
  }
}

async function connectTo(uri: string): Promise<NatsConnection> {
  const servers = uri.split(',').map((s) => s.trim()).filter(Boolean);
  const auth: { user?: string; pass?: string; token?: string } = {};
  const plain = servers.map((s) => {
    let u: URL;
    try {
      u = new URL(s.includes('://') ? s : `nats://${s}`);
    } catch (e) {
      throw new IntentOpsError('invalid_config', `broker URI ${JSON.stringify(maskUri(s))} is not a valid URL`, { where: 'broker.uri', hint: 'e.g. nats://127.0.0.1:4222', cause: e });
    }
    if (u.username && u.password) Object.assign(auth, { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) });
    else if (u.username) auth.token = decodeURIComponent(u.username);
    return `${u.hostname}:${u.port || 4222}`;
  });
  try {
    return await connect({ servers: plain, ...auth, name: `intentops-worker-${process.pid}`, timeout: 5000, maxReconnectAttempts: -1 });
  } catch (e) {
    throw new IntentOpsError('unavailable', `cannot connect to NATS at ${plain.join(', ')}: ${(e as Error).message}`, { where: 'broker.uri', hint: 'is nats-server running (with -js for JetStream)? check the host, port and credentials', cause: e });
  }
}

type Consumer = Awaited<ReturnType<JetStreamClient['consumers']['get']>>;

class NatsBroker implements Broker {
  private readonly buffer: JsMsg[] = [];
  /** Received and not yet settled (buffered or handed out). */
  private readonly held = new Set<JsMsg>();
  /** Pull requests from the moment they are asked for until they expire (or fail). */
  private readonly pulls = new Set<Promise<void>>();
  /** Messages asked for by pull requests still open. */
  private outstanding = 0;
  private waiters: (() => void)[] = [];
  private closed = false;
  /** stop() was called: no new pull requests; `stopped` resolves once the open ones expired. */
  private stopped: Promise<void> | undefined;
  /** When the last pull request opened expires (ms since the epoch). */
  private pullsUntil = 0;
  private failure: IntentOpsError | undefined;
  private readonly keepAlive: NodeJS.Timeout;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly termReasons: boolean;

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly consumer: Consumer,
    private readonly o: Required<BrokerOptions>,
    ackWaitMs: number,
  ) {
    this.keepAlive = setInterval(() => {
      for (const m of this.held) m.working();
    }, Math.max(100, ackWaitMs / 3));
    this.keepAlive.unref();
    const [major, minor, patch] = (nc.info?.version ?? '0.0.0').split('.').map((x) => parseInt(x, 10) || 0);
    this.termReasons = major > 2 || (major === 2 && (minor > 10 || (minor === 10 && patch >= 4)));
    this.pump();
  }

  async receive(max: number, opts: { waitMs?: number; signal?: AbortSignal } = {}): Promise<Delivery[]> {
    const deadline = Date.now() + (opts.waitMs ?? 1000);
    while (!this.buffer.length) {
      if (this.failure) throw this.failure;
      if (this.closed || opts.signal?.aborted || Date.now() >= deadline) return [];
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', done);
          this.waiters = this.waiters.filter((w) => w !== done);
          resolve();
        };
        const timer = setTimeout(done, deadline - Date.now());
        opts.signal?.addEventListener('abort', done, { once: true });
        this.waiters.push(done);
      });
    }
    return this.buffer.splice(0, Math.max(1, max)).map((m) => this.delivery(m));
  }

  async publish(to: Channel, data: Uint8Array, o: PublishOptions): Promise<{ duplicate: boolean }> {
    const subject = to === 'out' ? this.o.out : this.o.dlq;
    let h;
    if (o.headers) {
      h = natsHeaders();
      for (const [k, v] of Object.entries(o.headers)) h.set(k, v.replace(/[\r\n]+/g, ' '));
    }
    try {
      const ack = await this.js.publish(subject, data, { msgID: o.msgId, ...(h ? { headers: h } : {}) });
      return { duplicate: ack.duplicate };
    } catch (e) {
      throw new IntentOpsError('unavailable', `publishing to ${subject} failed: ${(e as Error).message}`, { where: 'broker', hint: 'the message will be retried; check that nats-server is up and the results stream exists', cause: e });
    }
  }

  stop(): Promise<void> {
    // a pull request cannot be cancelled: wait until the open ones expired (what they bring is
    // still received, for the caller to finish), capped in case one never reports back
    this.stopped ??= Promise.race([Promise.all([...this.pulls]).then(() => undefined), new Promise<void>((r) => setTimeout(r, PULL_EXPIRES_MS + 2000).unref())]);
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    return this.stopped;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    clearTimeout(this.retryTimer);
    this.wake();
    // never handed out, or handed out and abandoned: give them to another worker now, not after the
    // ack wait. While a pull request of ours is still open, an immediate nak could be redelivered
    // straight back to it (and again, each time counting a delivery: a redelivery storm that
    // dead-letters valid messages): those wait until our requests expired.
    const backoff = Math.max(0, this.pullsUntil - Date.now() + 250);
    for (const m of this.held) this.settle(m, () => (backoff > 250 && this.pulls.size ? m.nak(backoff) : m.nak()));
    this.buffer.length = 0;
    if (this.nc.isClosed()) return;
    const expired = Promise.all(this.pulls);
    const cap = new Promise((r) => setTimeout(r, PULL_EXPIRES_MS + 2000).unref());
    await Promise.race([expired, cap]);
    await this.nc.drain().catch(() => this.nc.close());
  }

  private delivery(m: JsMsg): Delivery {
    return {
      data: m.data,
      ref: `${m.info.stream}:${m.info.streamSequence}`,
      attempt: m.info.deliveryCount,
      ack: () => this.settle(m, () => m.ack()),
      nak: (delayMs = 0) => this.settle(m, () => m.nak(delayMs)),
      // `+TERM reason` is understood from server 2.10.4 on; older ones would ignore the whole term
      term: (reason) => this.settle(m, () => m.term(this.termReasons ? reason : undefined)),
    };
  }

  private settle(m: JsMsg, fn: () => void): void {
    if (!this.held.delete(m)) return; // settled already (or handed back by close)
    try {
      fn();
    } catch {
      // the connection is gone: the server redelivers the message after its ack wait
    }
    this.pump();
  }

  /** Opens a pull request for the free capacity once at least a quarter of it is free. */
  private pump(): void {
    if (this.closed || this.stopped || this.failure || this.retryTimer) return;
    const free = this.o.maxInFlight - this.held.size - this.outstanding;
    if (free < Math.max(1, Math.floor(this.o.maxInFlight / 4))) return;
    this.outstanding += free;
    this.pullsUntil = Date.now() + PULL_EXPIRES_MS;
    let got = 0;
    const pull: Promise<void> = this.consumer
      .fetch({ max_messages: free, expires: PULL_EXPIRES_MS })
      .then(async (messages: ConsumerMessages) => {
        for await (const m of messages) {
          got++;
          this.outstanding--;
          if (this.closed) {
            // our pull is still open: an immediate nak could come straight back to it (see close)
            m.nak(Math.max(250, this.pullsUntil - Date.now() + 250));
            continue;
          }
          this.held.add(m);
          this.buffer.push(m);
          this.wake();
        }
      })
      .then(
        () => {
          this.pulls.delete(pull);
          this.outstanding -= free - got;
          this.pump();
        },
        (e: unknown) => {
          this.pulls.delete(pull);
          this.outstanding -= free - got;
          this.pullFailed(e);
        },
      );
    this.pulls.add(pull);
  }

  private pullFailed(e: unknown): void {
    if (this.closed) return;
    const name = (e as Error).name ?? '';
    if (/ConsumerNotFound|StreamNotFound/.test(name) || /consumer (not found|deleted)|stream (not found|deleted)/i.test((e as Error).message)) {
      this.failure = new IntentOpsError('unavailable', `the input consumer ${this.o.consumer} on ${this.o.stream} is gone: ${(e as Error).message}`, { where: 'broker', hint: 'restart the worker to recreate it', cause: e });
      this.wake();
      return;
    }
    // a disconnect: the client reconnects by itself; ask again shortly
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.pump();
    }, RETRY_PULL_MS);
    this.retryTimer.unref();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
