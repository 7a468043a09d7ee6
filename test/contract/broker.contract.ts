import { afterEach, describe, expect, it } from 'vitest';
import type { Broker, Channel, Delivery } from '../../src/ports/broker.js';

/**
 * The behaviour every Broker adapter must share (cf. the review-store contract). Each test gets
 * its own empty topology from the harness (input, results, dead letters, shared consumer).
 */
export interface BrokerPlace {
  /** A broker on this topology; several may be open at once (workers sharing the input). */
  open(o?: { maxInFlight?: number }): Promise<Broker>;
  /** Publishes input messages the way a producer would. */
  produce(payloads: readonly string[]): Promise<void>;
  /** Everything stored on a channel, in order, with its headers. */
  read(channel: Channel): Promise<{ data: string; headers: Record<string, string> }[]>;
  dispose(): Promise<void>;
}

export interface BrokerHarness {
  fresh(): Promise<BrokerPlace>;
}

const text = (d: Delivery) => new TextDecoder().decode(d.data);

/** Receives until `n` messages arrived (or `rounds` receives came back empty). */
async function take(b: Broker, n: number, max = n, rounds = 20): Promise<Delivery[]> {
  const got: Delivery[] = [];
  for (let empty = 0; got.length < n && empty < rounds; ) {
    const batch = await b.receive(Math.min(max, n - got.length), { waitMs: 500 });
    if (!batch.length) empty++;
    got.push(...batch);
  }
  return got;
}

export function runBrokerContract(name: string, harness: BrokerHarness): void {
  describe(`Broker contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });
    async function setup(): Promise<BrokerPlace & { broker(o?: { maxInFlight?: number }): Promise<Broker> }> {
      const place = await harness.fresh();
      cleanups.push(() => place.dispose());
      return {
        ...place,
        broker: async (o) => {
          const b = await place.open(o);
          cleanups.push(() => b.close());
          return b;
        },
      };
    }

    it('delivers published messages once each, first attempt, with distinct stable refs; acked ones never come back', async () => {
      const p = await setup();
      const b = await p.broker();
      await p.produce(['a', 'b', 'c']);
      const got = await take(b, 3);
      expect(got.map(text).sort()).toEqual(['a', 'b', 'c']);
      expect(got.map((d) => d.attempt)).toEqual([1, 1, 1]);
      expect(new Set(got.map((d) => d.ref)).size).toBe(3);
      for (const d of got) d.ack();
      expect(await b.receive(10, { waitMs: 300 })).toEqual([]);
      await b.close();
      const again = await p.broker();
      expect(await again.receive(10, { waitMs: 300 })).toEqual([]);
    });

    it('nak redelivers the same message (same ref, next attempt); term never redelivers it', async () => {
      const p = await setup();
      const b = await p.broker();
      await p.produce(['retry me', 'drop me']);
      const first = await take(b, 2);
      const retry = first.find((d) => text(d) === 'retry me')!;
      const drop = first.find((d) => text(d) === 'drop me')!;
      retry.nak();
      drop.term('poison');
      const [second] = await take(b, 1);
      expect(text(second)).toBe('retry me');
      expect(second.ref).toBe(retry.ref);
      expect(second.attempt).toBe(2);
      second.nak(0);
      const [third] = await take(b, 1);
      expect(third.attempt).toBe(3);
      third.ack();
      expect(await b.receive(10, { waitMs: 500 })).toEqual([]);
    });

    it('nak with a delay holds the message back for that long, then redelivers it', async () => {
      const p = await setup();
      const b = await p.broker();
      await p.produce(['later']);
      const [d] = await take(b, 1);
      d.nak(4000);
      // far shorter than the delay: nothing may arrive
      expect(await b.receive(1, { waitMs: 300 })).toEqual([]);
      const [again] = await take(b, 1, 1, 30);
      expect(again.ref).toBe(d.ref);
      expect(again.attempt).toBe(2);
      again.ack();
    });

    it('never holds more than maxInFlight unsettled messages; settling makes room for more', async () => {
      const p = await setup();
      const b = await p.broker({ maxInFlight: 4 });
      await p.produce(Array.from({ length: 12 }, (_, i) => `m${i}`));
      const held = await take(b, 4, 100);
      expect(held).toHaveLength(4);
      expect(await b.receive(100, { waitMs: 400 })).toEqual([]);
      for (const d of held) d.ack();
      const rest: Delivery[] = [];
      while (rest.length < 8) {
        const batch = await take(b, Math.min(4, 8 - rest.length), 100);
        expect(batch.length).toBeLessThanOrEqual(4);
        for (const d of batch) d.ack();
        rest.push(...batch);
      }
      expect([...held, ...rest].map(text).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`).sort());
    });

    it('brokers on the same topology share the input: each message goes to one of them', async () => {
      const p = await setup();
      const a = await p.broker({ maxInFlight: 5 });
      const b = await p.broker({ maxInFlight: 5 });
      const n = 40;
      await p.produce(Array.from({ length: n }, (_, i) => `m${i}`));
      const seen: string[] = [];
      const counts = { a: 0, b: 0 };
      for (let empty = 0; seen.length < n && empty < 20; ) {
        const [x, y] = await Promise.all([a.receive(3, { waitMs: 300 }), b.receive(3, { waitMs: 300 })]);
        if (!x.length && !y.length) empty++;
        counts.a += x.length;
        counts.b += y.length;
        for (const d of [...x, ...y]) {
          seen.push(text(d));
          d.ack();
        }
      }
      expect(seen.sort()).toEqual(Array.from({ length: n }, (_, i) => `m${i}`).sort());
      expect(counts.a).toBeGreaterThan(0);
      expect(counts.b).toBeGreaterThan(0);
    });

    it('close hands unsettled messages back at once: another broker gets every one of them', async () => {
      const p = await setup();
      const a = await p.broker({ maxInFlight: 10 });
      await p.produce(Array.from({ length: 10 }, (_, i) => `m${i}`));
      const taken = await take(a, 1, 1);
      expect(taken).toHaveLength(1);
      await a.close();
      const b = await p.broker({ maxInFlight: 10 });
      const got = await take(b, 10);
      expect(got.map(text).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
      expect(got.find((d) => d.ref === taken[0].ref)!.attempt).toBe(2);
      for (const d of got) d.ack();
    });

    it('receive returns [] once its signal aborts, and after close', async () => {
      const p = await setup();
      const b = await p.broker();
      const ctl = new AbortController();
      const pending = b.receive(10, { waitMs: 60_000, signal: ctl.signal });
      ctl.abort();
      expect(await pending).toEqual([]);
      const waiting = b.receive(10, { waitMs: 60_000 });
      await b.close();
      expect(await waiting).toEqual([]);
      expect(await b.receive(10, { waitMs: 10 })).toEqual([]);
    });

    it('publish is idempotent per msgId on results and dead letters, and keeps headers', async () => {
      const p = await setup();
      const b = await p.broker();
      expect(await b.publish('out', new TextEncoder().encode('{"id":"x1"}'), { msgId: 'x1' })).toEqual({ duplicate: false });
      expect(await b.publish('out', new TextEncoder().encode('{"id":"x1","again":true}'), { msgId: 'x1' })).toEqual({ duplicate: true });
      expect(await b.publish('out', new TextEncoder().encode('{"id":"x2"}'), { msgId: 'x2' })).toEqual({ duplicate: false });
      const headers = { 'IntentOps-Error': 'invalid_input', 'IntentOps-Reason': 'text: must not be empty' };
      expect(await b.publish('dlq', new TextEncoder().encode('{"id":"x3","text":""}'), { msgId: 'dlq:1', headers })).toEqual({ duplicate: false });
      expect(await b.publish('dlq', new TextEncoder().encode('{"id":"x3","text":""}'), { msgId: 'dlq:1', headers })).toEqual({ duplicate: true });
      expect((await p.read('out')).map((m) => m.data)).toEqual(['{"id":"x1"}', '{"id":"x2"}']);
      const dead = await p.read('dlq');
      expect(dead).toHaveLength(1);
      expect(dead[0].data).toBe('{"id":"x3","text":""}');
      expect(dead[0].headers).toMatchObject(headers);
    });
  });
}
