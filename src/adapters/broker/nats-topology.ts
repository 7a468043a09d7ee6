import { AckPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, type ConsumerInfo, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { IntentOpsError } from '../../core/errors.js';
import type { BrokerOptions } from './options.js';

/*
 * The JetStream objects a worker needs, created when missing so that `intentops worker` runs
 * against an empty server, and checked when present so that a mismatch fails at start, not as
 * lost messages later:
 *   <stream>       work queue capturing `in` (a message is removed once acked)
 *   <stream>_OUT   `out` and `dlq`, with a duplicate window: publishing with the input's id as
 *                  Nats-Msg-Id makes a redelivered message's second result a no-op; each stored
 *                  result is republished on `<out>.stored` for plain (non-JetStream) subscribers
 *   <consumer>     durable pull consumer on `in` shared by every worker (explicit acks; no
 *                  server-side delivery limit: the worker dead-letters after max deliveries)
 */

/** Where the results stream republishes each result it stored (once per input id). */
export function storedSubject(out: string): string {
  return `${out}.stored`;
}

export interface Topology {
  readonly inStream: string;
  readonly outStream: string;
  readonly consumer: ConsumerInfo;
}

const WHERE = 'broker';

export async function ensureTopology(jsm: JetStreamManager, o: Required<BrokerOptions>): Promise<Topology> {
  for (const [name, subject] of [['in', o.in], ['out', o.out], ['dlq', o.dlq]] as const) {
    if (!/^[^\s*>]+$/.test(subject)) throw new IntentOpsError('invalid_config', `the ${name} subject ${JSON.stringify(subject)} must be a plain subject (no spaces or wildcards)`, { where: `${WHERE}.${name}` });
  }
  if (new Set([o.in, o.out, o.dlq]).size !== 3) throw new IntentOpsError('invalid_config', `the in, out and dlq subjects must differ (got ${o.in}, ${o.out}, ${o.dlq})`, { where: WHERE });

  await ensureStream(jsm, o.stream, [o.in], { retention: RetentionPolicy.Workqueue });
  const inStream = await capturing(jsm, o.in);
  if (inStream !== o.stream) {
    throw new IntentOpsError('invalid_config', `stream ${o.stream} does not capture the input subject ${o.in} (${inStream ? `stream ${inStream} does` : 'no stream does'})`, { where: `${WHERE}.stream`, hint: `pick the stream that captures ${o.in} with --stream, or another --in` });
  }
  const missing = [];
  for (const s of [o.out, o.dlq]) if (!(await capturing(jsm, s))) missing.push(s);
  const outStream = `${o.stream}_OUT`;
  // the stream republishes each result it stored on <out>.stored: a plain subscriber there sees a
  // result once, where one on <out> itself also sees a second publish the stream refused as a duplicate
  const republish = missing.includes(o.out) ? { republish: { src: o.out, dest: storedSubject(o.out) } } : {};
  if (missing.length) await ensureStream(jsm, outStream, missing, { duplicate_window: nanos(o.duplicateWindowMs), ...republish });
  for (const s of [o.out, o.dlq]) {
    const by = await capturing(jsm, s);
    if (!by) throw new IntentOpsError('invalid_config', `no stream captures ${s}, and stream ${outStream} exists without it`, { where: `${WHERE}.stream`, hint: `add ${s} to the subjects of ${outStream}, or pick other --out/--dlq subjects` });
    if (by === inStream) throw new IntentOpsError('invalid_config', `the input stream ${inStream} also captures ${s}: results would be queued as work`, { where: `${WHERE}.stream`, hint: 'give results and dead letters subjects outside the input stream' });
  }
  return { inStream, outStream: (await capturing(jsm, o.out))!, consumer: await ensureConsumer(jsm, o) };
}

function isApiError(e: unknown, code: number): boolean {
  return e instanceof JetStreamApiError && e.code === code;
}

async function capturing(jsm: JetStreamManager, subject: string): Promise<string | undefined> {
  try {
    return await jsm.streams.find(subject);
  } catch (e) {
    if (isApiError(e, JetStreamApiCodes.StreamNotFound)) return undefined;
    throw e;
  }
}

async function ensureStream(jsm: JetStreamManager, name: string, subjects: string[], extra: Record<string, unknown>): Promise<void> {
  try {
    await jsm.streams.info(name);
    return;
  } catch (e) {
    if (!(isApiError(e, JetStreamApiCodes.StreamNotFound))) throw e;
  }
  try {
    await jsm.streams.add({ name, subjects, storage: StorageType.File, ...extra });
  } catch (e) {
    // another worker created it between our look and our add: use theirs
    if (await jsm.streams.info(name).then(() => true, () => false)) return;
    throw new IntentOpsError('invalid_config', `cannot create stream ${name} for ${subjects.join(', ')}: ${(e as Error).message}`, { where: `${WHERE}.stream`, hint: 'another stream may already capture one of these subjects: pick other subjects or that stream', cause: e });
  }
}

async function ensureConsumer(jsm: JetStreamManager, o: Required<BrokerOptions>): Promise<ConsumerInfo> {
  let info: ConsumerInfo | undefined;
  try {
    info = await jsm.consumers.info(o.stream, o.consumer);
  } catch (e) {
    if (!(isApiError(e, JetStreamApiCodes.ConsumerNotFound))) throw e;
  }
  if (!info) {
    const config = {
      durable_name: o.consumer,
      ack_policy: AckPolicy.Explicit,
      filter_subject: o.in,
      ack_wait: nanos(o.ackWaitMs),
      max_deliver: -1,
      max_ack_pending: Math.max(1000, o.maxInFlight * 64),
    };
    try {
      info = await jsm.consumers.add(o.stream, config);
    } catch (e) {
      info = await jsm.consumers.info(o.stream, o.consumer).catch(() => undefined);
      if (!info) throw new IntentOpsError('invalid_config', `cannot create consumer ${o.consumer} on ${o.stream}: ${(e as Error).message}`, { where: `${WHERE}.consumer`, cause: e });
    }
  }
  const c = info.config;
  const filters = c.filter_subjects ?? (c.filter_subject ? [c.filter_subject] : []);
  if (c.ack_policy !== AckPolicy.Explicit || c.deliver_subject || (filters.length && !filters.includes(o.in))) {
    throw new IntentOpsError('invalid_config', `consumer ${o.consumer} on ${o.stream} exists but is not an explicit-ack pull consumer of ${o.in}`, { where: `${WHERE}.consumer`, hint: `pick another --consumer, or delete it (nats consumer rm ${o.stream} ${o.consumer})` });
  }
  return info;
}
