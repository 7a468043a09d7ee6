import { afterEach, describe, expect, it } from 'vitest';
import { ulidTime } from '../../src/adapters/review-store/index.js';
import type { EventStoreOptions } from '../../src/adapters/prediction-log/index.js';
import type { Feedback, FeedbackStore, NewFeedback } from '../../src/ports/feedback-store.js';
import { rejection } from '../helpers/sample.js';
import type { EventsHarness, EventsLocation } from './prediction-log.contract.js';

export function sampleFeedback(n = 0, over: Partial<NewFeedback> = {}): NewFeedback {
  return { predictionId: `req-${n}`, correctIntent: n % 2 ? 'delivery' : 'refund', rating: -1, comment: `falsch (${n}) – bitte prüfen ✓`, source: 'ana', ...over };
}

/** A fake clock: starts at 2025-01-01T00:00:00.000Z and moves `step` ms each reading. */
export function steppingClock(step = 1, start = Date.UTC(2025, 0, 1)): () => number {
  let t = start - step;
  return () => (t += step);
}

export function runFeedbackStoreContract(name: string, harness: EventsHarness<FeedbackStore>): void {
  describe(`FeedbackStore contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });
    async function setup(options?: EventStoreOptions): Promise<{ store: FeedbackStore; loc: EventsLocation<FeedbackStore> }> {
      const loc = await harness.fresh();
      cleanups.push(() => loc.dispose());
      const store = await loc.open(options);
      cleanups.push(() => store.close());
      return { store, loc };
    }

    it('add stores every field with an id and time from the injected clock; list reads it back', async () => {
      const { store } = await setup({ now: steppingClock() });
      const f = await store.add(sampleFeedback(1));
      expect(f).toEqual({ ...sampleFeedback(1), id: f.id, at: '2025-01-01T00:00:00.000Z' });
      expect(f.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(ulidTime(f.id)).toBe(Date.UTC(2025, 0, 1));
      const bare = await store.add({ predictionId: 'req-2', rating: 0, source: 'cli' });
      expect(bare).toEqual({ id: bare.id, predictionId: 'req-2', rating: 0, source: 'cli', at: '2025-01-01T00:00:00.001Z' });
      for (const k of ['correctIntent', 'comment'] as const) expect(bare).not.toHaveProperty(k);
      expect(await store.list()).toEqual([f, bare]);
    });

    it('list: oldest first; since inclusive; by prediction; limit', async () => {
      const { store } = await setup({ now: steppingClock(60_000) });
      const all: Feedback[] = [];
      for (let i = 0; i < 6; i++) all.push(await store.add(sampleFeedback(i % 3)));
      const ids = (xs: Feedback[]) => xs.map((f) => f.id);
      expect(ids(await store.list())).toEqual(ids(all));
      expect([...ids(all)].sort()).toEqual(ids(all));
      expect(ids(await store.list({ since: all[2].at }))).toEqual(ids(all.slice(2)));
      expect(ids(await store.list({ since: '2025-01-01T00:02:00Z' }))).toEqual(ids(all.slice(2)));
      expect(ids(await store.list({ predictionId: 'req-1' }))).toEqual(ids([all[1], all[4]]));
      expect(ids(await store.list({ predictionId: 'req-1', since: all[2].at }))).toEqual([all[4].id]);
      expect(ids(await store.list({ limit: 2 }))).toEqual(ids(all.slice(0, 2)));
      expect(await store.list({ predictionId: 'nope' })).toEqual([]);
      // count (optional in the port, provided by every adapter here): [since, until)
      expect(await store.count!()).toBe(6);
      expect(await store.count!({ since: all[1].at, until: all[4].at })).toBe(3);
      expect(await store.count!({ until: all[0].at })).toBe(0);
    });

    it('rejects malformed feedback with invalid_input naming the field, and stores nothing', async () => {
      const { store } = await setup();
      const cases: [Partial<NewFeedback>, RegExp][] = [
        [{ rating: 2 as never }, /rating: must be -1, 0 or 1/],
        [{ predictionId: '' }, /predictionId/],
        [{ source: '  ' }, /source/],
        [{ correctIntent: ' ' }, /correctIntent/],
        [{ comment: 'x'.repeat(5001) }, /comment/],
      ];
      for (const [over, message] of cases) {
        const err = await rejection(store.add(sampleFeedback(0, over)));
        expect(err.code).toBe('invalid_input');
        expect(err.message).toMatch(message);
      }
      expect(await store.list()).toEqual([]);
      for (const q of [{ since: 'monday' }, { limit: 0 }]) expect((await rejection(store.list(q))).code).toBe('invalid_input');
    });

    it('purge deletes feedback strictly older than the cut-off and returns the count', async () => {
      const { store } = await setup({ now: steppingClock(60_000) });
      const all: Feedback[] = [];
      for (let i = 0; i < 5; i++) all.push(await store.add(sampleFeedback(i)));
      expect(await store.purge(all[2].at)).toBe(2);
      expect((await store.list()).map((f) => f.id)).toEqual(all.slice(2).map((f) => f.id));
      expect(await store.purge('2024-01-01T00:00:00Z')).toBe(0);
      expect((await rejection(store.purge('then'))).code).toBe('invalid_input');
    });

    it('close is idempotent and later calls fail with unavailable', async () => {
      const loc = await harness.fresh();
      cleanups.push(() => loc.dispose());
      const store = await loc.open();
      await store.close();
      await store.close();
      expect((await rejection(store.list())).code).toBe('unavailable');
      expect((await rejection(store.add(sampleFeedback()))).code).toBe('unavailable');
    });

    if (harness.persistent) {
      it('data survives close and reopen; new ids sort after old ones even when the clock stepped back', async () => {
        const { store, loc } = await setup({ now: () => Date.UTC(2025, 0, 2) });
        const a = await store.add(sampleFeedback(1));
        await store.close();
        const again = await loc.open({ now: () => Date.UTC(2025, 0, 1) });
        cleanups.push(() => again.close());
        expect(await again.list()).toEqual([a]);
        const b = await again.add(sampleFeedback(2));
        expect(b.id > a.id).toBe(true);
      });
    }
  });
}
