import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteTopology, NATS_URL, natsClient, uniqueTopology } from '../../../test/contract/broker.nats.js';
import { openBroker } from './index.js';
import { storedSubject } from './nats-topology.js';

/*
 * A worker killed after publishing a result and before acking its input classifies that input
 * again: the results stream refuses the second result (same message id), but a plain NATS
 * subscriber on the results subject has already seen both. On <out>.stored it sees each result once.
 */
describe('results for plain NATS subscribers (real server)', () => {
  let client: { nc: NatsConnection; jsm: JetStreamManager };
  const t = uniqueTopology();
  beforeAll(async () => {
    client = await natsClient();
  });
  afterAll(async () => {
    await deleteTopology(client.jsm, t);
    await client.nc.close();
  });

  it('<out>.stored carries each stored result once; <out> itself also carries the refused duplicate', async () => {
    const broker = await openBroker(NATS_URL, t);
    const seen: Record<string, string[]> = { plain: [], stored: [] };
    const listen = (subject: string, into: string[]) => {
      const sub = client.nc.subscribe(subject);
      void (async () => {
        for await (const m of sub) into.push(m.string());
      })();
      return sub;
    };
    const subs = [listen(t.out, seen.plain), listen(storedSubject(t.out), seen.stored)];
    await client.nc.flush();
    try {
      const enc = (s: string) => new TextEncoder().encode(s);
      await broker.publish('out', enc('{"id":"a"}'), { msgId: 'a' });
      expect(await broker.publish('out', enc('{"id":"a","again":true}'), { msgId: 'a' })).toEqual({ duplicate: true });
      await broker.publish('out', enc('{"id":"b"}'), { msgId: 'b' });
      for (let i = 0; i < 200 && (seen.plain.length < 3 || seen.stored.length < 2); i++) await new Promise((r) => setTimeout(r, 25));
      expect(seen.plain).toEqual(['{"id":"a"}', '{"id":"a","again":true}', '{"id":"b"}']);
      expect(seen.stored).toEqual(['{"id":"a"}', '{"id":"b"}']);
    } finally {
      for (const s of subs) s.unsubscribe();
      await broker.close();
    }
  });
});
