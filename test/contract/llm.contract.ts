import { afterEach, describe, expect, it } from 'vitest';
import { IntentOpsError } from '../../src/core/errors.js';
import type { Llm, LlmRequest } from '../../src/ports/llm.js';
import type { ClusterNamer } from '../../src/ports/cluster-namer.js';
import type { FakeLlm } from '../../src/app/dev/fake-llm-server.js';

/**
 * The behaviour every Llm adapter must share (src/ports/llm.ts), against a local server speaking
 * the provider's wire format: an answer is one of the request's intents or null (`none`), with
 * usage and latency; an out-of-set label, malformed output, a server error after retries or a
 * server that is gone throws IntentOpsError 'unavailable' (the message then goes to review);
 * an aborted call rejects.
 */
export interface LlmHarness {
  /** A fake server for this adapter's wire format. */
  server(): Promise<FakeLlm>;
  /** The adapter, pointed at that server, with retries short (or none). */
  open(server: FakeLlm): Promise<Llm>;
  /** The backend's cluster namer (intent discovery), pointed at that server; absent when the backend cannot name clusters. */
  namer?(server: FakeLlm): Promise<ClusterNamer>;
}

const CLUSTER = { representatives: ['how many loyalty points do I have', 'my loyalty points are missing', 'redeem loyalty points'], terms: ['loyalty', 'points'], existingIntents: ['billing', 'delivery'], requestId: 'c-contract' };

const REQ: LlmRequest = {
  text: 'I was charged twice for my order',
  intents: [{ name: 'billing', description: 'payments, charges, invoices' }, { name: 'delivery' }, { name: 'login' }],
  examples: [
    { text: 'why was my card charged two times', intent: 'billing' },
    { text: 'my parcel has not arrived', intent: 'delivery' },
  ],
  requestId: 'req-contract-1',
};

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

export function runLlmContract(name: string, harness: LlmHarness): void {
  describe(`Llm contract: ${name}`, () => {
    // a server and an adapter per test: scripted answers left unused by one test never reach the next
    let fake: FakeLlm;
    let llm: Llm;
    const opened: (() => Promise<void>)[] = [];
    async function setup(): Promise<void> {
      fake = await harness.server();
      llm = await harness.open(fake);
      const [f, l] = [fake, llm];
      opened.push(async () => {
        await (l as Partial<{ close(): Promise<void> }>).close?.();
        await f.close();
      });
    }
    afterEach(async () => {
      for (const close of opened.splice(0)) await close();
    });

    it('names itself', async () => {
      await setup();
      expect(typeof llm.name).toBe('string');
      expect(llm.name.length).toBeGreaterThan(0);
    });

    it('answers one of the request intents, with usage and latency', async () => {
      await setup();
      fake.script({ intent: 'billing', usage: { promptTokens: 120, completionTokens: 5 } });
      const a = await llm.classify(REQ);
      expect(a.intent).toBe('billing');
      expect(typeof a.model).toBe('string');
      expect(a.usage.promptTokens).toBe(120);
      expect(a.usage.completionTokens).toBe(5);
      expect(a.usage.costUsd).toBeGreaterThanOrEqual(0);
      expect(a.latencyMs).toBeGreaterThanOrEqual(0);
    });

    it('answers null when the model says none', async () => {
      await setup();
      fake.script({ intent: 'none' });
      expect((await llm.classify(REQ)).intent).toBeNull();
    });

    it('an intent outside the request is an error, not an answer', async () => {
      await setup();
      fake.script({ intent: 'weather', times: 10 });
      const e = await failure(llm.classify(REQ));
      expect(e).toBeInstanceOf(IntentOpsError);
      expect((e as IntentOpsError).code).toBe('unavailable');
    });

    it('malformed output is an error, not an answer', async () => {
      await setup();
      fake.script({ content: 'billing or delivery, hard to say', times: 10 });
      const e = await failure(llm.classify(REQ));
      expect(e).toBeInstanceOf(IntentOpsError);
      expect((e as IntentOpsError).code).toBe('unavailable');
    });

    it('a server error that outlasts the retries is unavailable', async () => {
      await setup();
      fake.script({ status: 500, times: 20 });
      const e = await failure(llm.classify(REQ));
      expect(e).toBeInstanceOf(IntentOpsError);
      expect((e as IntentOpsError).code).toBe('unavailable');
    });

    it('an aborted call rejects', async () => {
      await setup();
      fake.script({ latencyMs: 2_000 });
      const ctl = new AbortController();
      const p = llm.classify(REQ, ctl.signal);
      setTimeout(() => ctl.abort(), 50);
      expect(await failure(p)).toBeDefined();
    });

    it('the request reaches the server with the text and every intent', async () => {
      await setup();
      const before = fake.requests.length;
      fake.script({ intent: 'login' });
      expect((await llm.classify({ ...REQ, text: 'I cannot log in' })).intent).toBe('login');
      const sent = JSON.stringify(fake.requests.slice(before));
      expect(sent).toContain('I cannot log in');
      for (const i of REQ.intents) expect(sent).toContain(i.name);
    });

    describe('cluster naming', () => {
      const it_ = harness.namer ? it : it.skip; // a backend without a namer: discovery names from terms
      it_('suggests a name for a cluster, with model, usage and latency', async () => {
        await setup();
        const namer = await harness.namer!(fake);
        fake.script({ usage: { promptTokens: 90, completionTokens: 6 } });
        const a = await namer.nameCluster(CLUSTER);
        expect(a.name).toBe('loyalty_points'); // the fake server's deterministic name
        expect(typeof a.model).toBe('string');
        expect(a.usage).toMatchObject({ promptTokens: 90, completionTokens: 6 });
        expect(a.latencyMs).toBeGreaterThanOrEqual(0);
        const sent = JSON.stringify(fake.requests.at(-1)!.body);
        for (const m of CLUSTER.representatives) expect(sent).toContain(m);
        expect(sent).toContain('billing, delivery');
      });

      it_('an answer without a name, or a server error after retries, is unavailable', async () => {
        await setup();
        const namer = await harness.namer!(fake);
        fake.script({ content: 'loyalty things', times: 5 });
        expect(await failure(namer.nameCluster(CLUSTER))).toMatchObject({ code: 'unavailable' });
        fake.script({ status: 500, times: 20 });
        expect(await failure(namer.nameCluster(CLUSTER))).toMatchObject({ code: 'unavailable' });
      });
    });
  });
}
