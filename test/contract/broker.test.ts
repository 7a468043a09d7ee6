import { AckPolicy, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKER_DEFAULTS, brokers, openBroker } from '../../src/adapters/broker/index.js';
import { rejection } from '../helpers/sample.js';
import { deleteTopology, NATS_URL, natsClient, produce, readSubject, uniqueTopology, type NatsTopology } from './broker.nats.js';
import { runBrokerContract } from './broker.contract.js';

// The real server on this machine: a down server fails these tests (with the start command), never skips them.
describe('nats (real JetStream server)', () => {
  let client: { nc: NatsConnection; jsm: JetStreamManager } | undefined;
  const made: NatsTopology[] = [];
  const connected = async () => (client ??= await natsClient());
  afterAll(async () => {
    if (!client) return;
    for (const t of made) await deleteTopology(client.jsm, t);
    await client.nc.close();
  });

  runBrokerContract(`nats (${NATS_URL})`, {
    fresh: async () => {
      const { nc, jsm } = await connected();
      const t = uniqueTopology();
      made.push(t);
      return {
        open: (o) => openBroker(NATS_URL, { ...t, ackWaitMs: 10_000, ...o }),
        produce: (payloads) => produce(nc, t.in, payloads),
        read: (channel) => readSubject(nc, jsm, `${t.stream}_OUT`, channel === 'out' ? t.out : t.dlq),
        dispose: () => deleteTopology(jsm, t),
      };
    },
  });

  describe('topology', () => {
    let t: NatsTopology;
    beforeAll(async () => {
      await connected();
      t = uniqueTopology();
      made.push(t);
    });

    it('creates the input work queue, the results stream with a duplicate window, and the shared consumer', async () => {
      const b = await openBroker(NATS_URL, { ...t, duplicateWindowMs: 90_000, ackWaitMs: 7000 });
      await b.close();
      const { jsm } = await connected();
      const input = await jsm.streams.info(t.stream);
      expect(input.config.subjects).toEqual([t.in]);
      expect(input.config.retention).toBe('workqueue');
      const out = await jsm.streams.info(`${t.stream}_OUT`);
      expect(out.config.subjects).toEqual([t.out, t.dlq]);
      expect(out.config.duplicate_window).toBe(90_000 * 1e6);
      const c = await jsm.consumers.info(t.stream, t.consumer);
      expect(c.config.ack_policy).toBe(AckPolicy.Explicit);
      expect(c.config.filter_subject).toBe(t.in);
      expect(c.config.ack_wait).toBe(7000 * 1e6);
      // opening again reuses what exists
      await (await openBroker(NATS_URL, t)).close();
    });

    it('refuses a consumer of that name that reads another subject', async () => {
      const { jsm } = await connected();
      const other = uniqueTopology();
      made.push(other);
      await jsm.streams.add({ name: other.stream, subjects: [other.in, `${other.in}.x`] });
      await jsm.consumers.add(other.stream, { durable_name: other.consumer, ack_policy: AckPolicy.Explicit, filter_subject: `${other.in}.x` });
      const err = await rejection(openBroker(NATS_URL, other));
      expect(err.code).toBe('invalid_config');
      expect(err.message).toContain(`consumer ${other.consumer}`);
      expect(err.hint).toMatch(/another --consumer|nats consumer rm/);
    });

    it('refuses an input stream that does not capture the input subject', async () => {
      const { jsm } = await connected();
      const other = uniqueTopology();
      made.push(other);
      await jsm.streams.add({ name: other.stream, subjects: [`${other.in}.elsewhere`] });
      const err = await rejection(openBroker(NATS_URL, other));
      expect(err.code).toBe('invalid_config');
      expect(err.message).toContain(`does not capture the input subject ${other.in}`);
    });

    it('refuses the same subject for input and results', async () => {
      const err = await rejection(openBroker(NATS_URL, { ...uniqueTopology(), out: 'same.subject', in: 'same.subject' }));
      expect(err.code).toBe('invalid_config');
      expect(err.message).toMatch(/must differ/);
    });
  });
});

describe('openBroker (no server needed)', () => {
  it('fails with unavailable and a hint when nothing listens at the URI', async () => {
    const err = await rejection(openBroker('nats://127.0.0.1:1'));
    expect(err.code).toBe('unavailable');
    expect(err.message).toContain('127.0.0.1:1');
    expect(err.hint).toMatch(/nats-server/);
  });

  it('rejects an unknown scheme listing the valid forms', async () => {
    const err = await rejection(openBroker('amqp://guest:secret@localhost:5672'));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toContain('unknown scheme "amqp"');
    expect(err.message).toContain('nats://HOST:PORT');
    expect(err.message).not.toContain('secret');
  });

  it.each([
    ['kafka://localhost:9092', 'kafkajs', 'src/adapters/broker/kafka.ts'],
    ['azure-servicebus://ns.servicebus.windows.net', '@azure/service-bus', 'src/adapters/broker/azure-servicebus.ts'],
  ])('%s is a known but not built-in broker: invalid_config naming what to install and write', async (uri, pkg, file) => {
    const err = await rejection(openBroker(uri));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toMatch(/not built into IntentOps/);
    expect(err.hint).toContain(`npm install ${pkg}`);
    expect(err.hint).toContain(file);
    expect(err.hint).toContain('nats://');
  });

  it('the backend table is frozen and its defaults name the documented subjects', () => {
    expect(Object.isFrozen(brokers)).toBe(true);
    expect(Object.keys(brokers).sort()).toEqual(['azure-servicebus', 'kafka', 'nats']);
    expect(BROKER_DEFAULTS).toMatchObject({ uri: 'nats://127.0.0.1:4222', in: 'intentops.in', out: 'intentops.out', dlq: 'intentops.dlq' });
  });
});
