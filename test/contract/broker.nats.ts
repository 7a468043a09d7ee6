/**
 * The real NATS JetStream on this machine, for the broker contract, the worker tests and the
 * worker end-to-end test. A down server FAILS the tests with the command that starts it.
 */
import { AckPolicy, jetstream, jetstreamManager, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { uniqueId } from '../helpers/real-services.js';

export const NATS_URL = process.env.INTENTOPS_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
export const NATS_START = 'nats-server -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server &';

/** One test's own stream and subjects, never shared with another test or run. */
export interface NatsTopology {
  readonly stream: string;
  readonly in: string;
  readonly out: string;
  readonly dlq: string;
  readonly consumer: string;
}

export function uniqueTopology(): NatsTopology {
  const id = uniqueId().replace(/[^A-Za-z0-9_]/g, '_');
  return { stream: `T_${id}`, in: `t.${id}.in`, out: `t.${id}.out`, dlq: `t.${id}.dlq`, consumer: `w_${id}` };
}

/** A plain connection for the tests' own publishing and reading; throws with the start command when NATS is down. */
export async function natsClient(): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const server = NATS_URL.replace(/^nats:\/\//, '');
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: server, timeout: 3000, maxReconnectAttempts: 0 });
  } catch (e) {
    throw new Error(`NATS is not reachable at ${NATS_URL} (${(e as Error).message}).\nThese tests need the real server with JetStream; start it with:\n  ${NATS_START}`);
  }
  return { nc, jsm: await jetstreamManager(nc) };
}

/** Publishes each payload to `subject` (awaiting the stream's ack). */
export async function produce(nc: NatsConnection, subject: string, payloads: readonly (string | Uint8Array)[]): Promise<void> {
  const js = jetstream(nc);
  await Promise.all(payloads.map((p) => js.publish(subject, p)));
}

export interface StoredMessage {
  readonly subject: string;
  readonly data: string;
  readonly headers: Record<string, string>;
}

/** Every message stored in `stream` on `subject`, in stream order. */
export async function readSubject(nc: NatsConnection, jsm: JetStreamManager, stream: string, subject: string): Promise<StoredMessage[]> {
  const info = await jsm.streams.info(stream, { subjects_filter: subject }).catch((e: unknown) => {
    if (e instanceof JetStreamApiError && e.code === 10059) return undefined;
    throw e;
  });
  const total = info?.state.subjects?.[subject] ?? 0;
  if (!total) return [];
  // a plain ephemeral consumer (server 2.9 has no multi-filter ordered consumers)
  const name = `read_${uniqueId()}`;
  await jsm.consumers.add(stream, { name, ack_policy: AckPolicy.None, filter_subject: subject, inactive_threshold: nanos(60_000) });
  const oc = await jetstream(nc).consumers.get(stream, name);
  const out: StoredMessage[] = [];
  while (out.length < total) {
    const batch = await oc.fetch({ max_messages: Math.min(1000, total - out.length), expires: 2000 });
    for await (const m of batch) {
      const headers: Record<string, string> = {};
      if (m.headers) for (const k of m.headers.keys()) headers[k] = m.headers.get(k);
      out.push({ subject: m.subject, data: m.string(), headers });
    }
  }
  await jsm.consumers.delete(stream, name).catch(() => undefined);
  return out;
}

/** Messages still waiting in the shared consumer (not yet delivered, or delivered and not acked). */
export async function consumerBacklog(jsm: JetStreamManager, t: NatsTopology): Promise<{ pending: number; unacked: number }> {
  const c = await jsm.consumers.info(t.stream, t.consumer);
  return { pending: c.num_pending, unacked: c.num_ack_pending };
}

/** Deletes the topology's streams (and with them its consumer). */
export async function deleteTopology(jsm: JetStreamManager, t: NatsTopology): Promise<void> {
  for (const s of [t.stream, `${t.stream}_OUT`]) await jsm.streams.delete(s).catch(() => undefined);
}
