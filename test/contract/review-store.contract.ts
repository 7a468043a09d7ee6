import { afterEach, describe, expect, it } from 'vitest';
import { ulidTime, type ReviewStoreOptions } from '../../src/adapters/review-store/index.js';
import { priorityOf } from '../../src/core/review/index.js';
import type { NewReviewItem, ReviewItem, ReviewStore } from '../../src/ports/review-store.js';
import { rejection } from '../helpers/sample.js';

/**
 * The behaviour every ReviewStore adapter must share (cf. hono's router common.case.test.ts).
 * Each test gets its own empty location from the harness, so files run in parallel safely.
 */
export interface ReviewStoreLocation {
  /** Opens the store at this location; may be called again after close() to reopen it. */
  open(options?: ReviewStoreOptions): Promise<ReviewStore>;
  /** Removes the location (file, tables). */
  dispose(): Promise<void>;
}

export interface ReviewStoreHarness {
  fresh(): Promise<ReviewStoreLocation>;
  /** Whether data outlives close() (false for sqlite::memory:). */
  readonly persistent: boolean;
}

export function sampleItem(n = 0, over: Partial<NewReviewItem> = {}): NewReviewItem {
  return {
    text: `message ${n}: où est mon colis? 📦`,
    guess: n % 2 ? 'delivery' : 'billing',
    confidence: 0.31 + n / 1000,
    alternatives: [
      { intent: 'delivery', score: 0.31 },
      { intent: 'billing', score: 0.29 },
    ],
    reason: 'low_confidence',
    model: { name: 'tickets', version: '3' },
    requestId: `req-${n}`,
    ...over,
  };
}

/** A fake clock: starts at 2025-01-01T00:00:00.000Z and moves 1 ms each reading. */
export function steppingClock(start = Date.UTC(2025, 0, 1)): () => number {
  let t = start;
  return () => t++;
}

export function runReviewStoreContract(name: string, harness: ReviewStoreHarness): void {
  describe(`ReviewStore contract: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });
    /** A store on a fresh location, closed and removed after the test. */
    async function setup(options?: ReviewStoreOptions): Promise<{ store: ReviewStore; loc: ReviewStoreLocation }> {
      const loc = await harness.fresh();
      cleanups.push(() => loc.dispose());
      const store = await loc.open(options);
      cleanups.push(() => store.close());
      return { store, loc };
    }

    it('add stores every field and returns an open item; get reads it back', async () => {
      const { store } = await setup();
      const item = await store.add(sampleItem(1));
      expect(item).toMatchObject({ ...sampleItem(1), state: 'open' });
      expect(item.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(item.createdAt).toBe(item.updatedAt);
      expect(new Date(item.createdAt).toISOString()).toBe(item.createdAt);
      for (const k of ['claimedBy', 'label', 'labelledBy'] as const) expect(item).not.toHaveProperty(k);
      expect(await store.get(item.id)).toEqual(item);
      expect(await store.get('01ZZZZZZZZZZZZZZZZZZZZZZZZ')).toBeUndefined();
      const bare = await store.add(sampleItem(2, { requestId: undefined, alternatives: [] }));
      expect(bare).not.toHaveProperty('requestId');
      expect((await store.get(bare.id))?.alternatives).toEqual([]);
    });

    it('timestamps and ids come from the injected clock', async () => {
      const { store } = await setup({ now: steppingClock() });
      const a = await store.add(sampleItem());
      expect(ulidTime(a.id)).toBe(Date.UTC(2025, 0, 1));
      expect(a.createdAt.startsWith('2025-01-01T00:00:00.00')).toBe(true);
      const claimed = await store.claim(a.id, 'ana');
      expect(claimed.createdAt).toBe(a.createdAt);
      expect(claimed.updatedAt > a.updatedAt).toBe(true);
    });

    it('rejects a malformed item with invalid_input naming the field', async () => {
      const { store } = await setup();
      const cases: [Partial<NewReviewItem>, RegExp][] = [
        [{ text: '' }, /text/],
        [{ confidence: Number.NaN }, /confidence/],
        [{ reason: 'Not a reason!' as never }, /reason/],
        [{ alternatives: [{ intent: 'x' }] as never }, /alternatives\.0\.score/],
      ];
      for (const [over, field] of cases) {
        const err = await rejection(store.add(sampleItem(0, over)));
        expect(err.code).toBe('invalid_input');
        expect(err.message).toMatch(field);
      }
      expect(await store.list()).toEqual([]);
    });

    it('ids sort by creation and list returns items in creation order', async () => {
      const { store } = await setup();
      const added = [];
      for (let i = 0; i < 40; i++) added.push(await store.add(sampleItem(i)));
      const ids = added.map((x) => x.id);
      expect([...ids].sort()).toEqual(ids);
      expect(new Set(ids).size).toBe(ids.length);
      expect((await store.list({ limit: 1000 })).map((x) => x.id)).toEqual(ids);
    });

    it('list filters by state, honours limit and pages with after', async () => {
      const { store } = await setup();
      const items = [];
      for (let i = 0; i < 7; i++) items.push(await store.add(sampleItem(i)));
      await store.claim(items[1].id, 'ana');
      await store.claim(items[4].id, 'bob');
      await store.resolve(items[4].id, 'bob', { label: 'billing' });
      await store.resolve(items[5].id, 'cy', { skip: true });

      const ids = (xs: { id: string }[]) => xs.map((x) => x.id);
      expect(ids(await store.list({ state: 'open' }))).toEqual(ids([items[0], items[2], items[3], items[6]]));
      expect((await rejection(store.list({ order: 'priority', after: items[0].id }))).where).toBe('after');
      expect((await rejection(store.list({ order: 'best' as never }))).where).toBe('order');
      expect(ids(await store.list({ state: 'claimed' }))).toEqual([items[1].id]);
      expect(ids(await store.list({ state: 'labelled' }))).toEqual([items[4].id]);
      expect(ids(await store.list({ state: 'skipped' }))).toEqual([items[5].id]);
      expect(ids(await store.list({ limit: 2 }))).toEqual(ids(items.slice(0, 2)));

      const pages: string[][] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.list({ limit: 3, after });
        if (!page.length) break;
        pages.push(ids(page));
        after = page[page.length - 1].id;
      }
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual(ids(items));
      expect(ids(await store.list({ state: 'open', after: items[2].id, limit: 1 }))).toEqual([items[3].id]);
      expect(await store.list({ after: items[6].id })).toEqual([]);
    });

    it('list rejects a bad limit or state with invalid_input', async () => {
      const { store } = await setup();
      for (const limit of [0, -1, 1.5, 1001]) expect((await rejection(store.list({ limit }))).code).toBe('invalid_input');
      const err = await rejection(store.list({ state: 'done' as never }));
      expect(err.message).toMatch(/valid: open, claimed, labelled, skipped/);
    });

    it('claim: open → claimed; again by the same person is fine; by someone else is refused', async () => {
      const { store } = await setup();
      const a = await store.add(sampleItem());
      const c = await store.claim(a.id, 'ana');
      expect(c).toMatchObject({ id: a.id, state: 'claimed', claimedBy: 'ana' });
      expect(await store.claim(a.id, 'ana')).toMatchObject({ state: 'claimed', claimedBy: 'ana' });
      const err = await rejection(store.claim(a.id, 'bob'));
      expect(err.code).toBe('invalid_input');
      expect(err.message).toMatch(/already claimed by "ana"/);
      expect((await store.get(a.id))?.claimedBy).toBe('ana');
      expect((await rejection(store.claim('01ZZZZZZZZZZZZZZZZZZZZZZZZ', 'ana'))).code).toBe('not_found');
      expect((await rejection(store.claim(a.id, '  '))).code).toBe('invalid_input');
    });

    it('resolve: only the claimer (or anyone while open); labelled items carry label and labelledBy', async () => {
      const { store } = await setup();
      const a = await store.add(sampleItem(1));
      await store.claim(a.id, 'ana');
      const err = await rejection(store.resolve(a.id, 'bob', { label: 'billing' }));
      expect(err.code).toBe('invalid_input');
      expect(err.message).toMatch(/claimed by "ana"; only they can label or skip it/);
      const done = await store.resolve(a.id, 'ana', { label: 'billing' });
      expect(done).toMatchObject({ state: 'labelled', label: 'billing', labelledBy: 'ana', claimedBy: 'ana' });
      expect(await store.get(a.id)).toEqual(done);

      const again = await rejection(store.resolve(a.id, 'ana', { skip: true }));
      expect(again.code).toBe('invalid_input');
      expect(again.message).toMatch(/already labelled/);
      expect((await rejection(store.claim(a.id, 'ana'))).message).toMatch(/already labelled/);

      const b = await store.add(sampleItem(2));
      const skipped = await store.resolve(b.id, 'cy', { skip: true });
      expect(skipped).toMatchObject({ state: 'skipped', claimedBy: 'cy' });
      expect(skipped).not.toHaveProperty('label');
      expect(skipped).not.toHaveProperty('labelledBy');

      expect((await rejection(store.resolve('01ZZZZZZZZZZZZZZZZZZZZZZZZ', 'ana', { skip: true }))).code).toBe('not_found');
      const c = await store.add(sampleItem(3));
      for (const bad of [{ label: '' }, { label: ' ' }, {}, { skip: false }, { label: 'x', skip: true }]) {
        expect((await rejection(store.resolve(c.id, 'ana', bad as never))).code).toBe('invalid_input');
      }
      expect((await store.get(c.id))?.state).toBe('open');
    });

    it('labelled() returns training examples, oldest first', async () => {
      const { store } = await setup();
      const [a, b, c, d] = [await store.add(sampleItem(0)), await store.add(sampleItem(1)), await store.add(sampleItem(2)), await store.add(sampleItem(3))];
      await store.resolve(c.id, 'ana', { label: 'delivery' });
      await store.resolve(b.id, 'ana', { skip: true });
      await store.claim(a.id, 'bob');
      await store.resolve(a.id, 'bob', { label: 'billing' });
      await store.claim(d.id, 'bob');
      expect(await store.labelled()).toEqual([
        { id: a.id, text: a.text, label: 'billing' },
        { id: c.id, text: c.text, label: 'delivery' },
      ]);
    });

    it('concurrent claims of one item: exactly one wins', async () => {
      const { store } = await setup();
      const a = await store.add(sampleItem());
      const results = await Promise.allSettled(['p0', 'p1', 'p2', 'p3', 'p4'].map((who) => store.claim(a.id, who)));
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const winner = (won[0] as PromiseFulfilledResult<{ claimedBy?: string }>).value.claimedBy;
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'invalid_input', message: expect.stringContaining(`already claimed by "${winner}"`) });
      expect((await store.get(a.id))?.claimedBy).toBe(winner);
    });

    it('a repeat of a pending text (same model version) is counted on its item, not queued again', async () => {
      const { store } = await setup({ now: steppingClock() });
      const a = await store.add(sampleItem(1, { text: 'Where is my   parcel?' }));
      expect(a).toMatchObject({ count: 1, lastSeenAt: a.createdAt });
      const b = await store.add(sampleItem(2, { text: '  where is my parcel? ' }));
      expect(b).toMatchObject({ id: a.id, count: 2, text: 'Where is my   parcel?', guess: a.guess });
      expect(b.lastSeenAt > a.lastSeenAt).toBe(true);
      // another model version, or another text: items of their own
      const other = await store.add(sampleItem(3, { text: 'where is my parcel?', model: { name: 'tickets', version: '4' } }));
      expect(other.id).not.toBe(a.id);
      expect((await store.add(sampleItem(4, { text: 'where is my parcel now?' }))).id).not.toBe(a.id);
      // a claimed item still absorbs repeats; a resolved one does not
      await store.claim(a.id, 'ana');
      expect(await store.add(sampleItem(5, { text: 'WHERE IS MY PARCEL?' }))).toMatchObject({ id: a.id, count: 3, state: 'claimed' });
      await store.resolve(a.id, 'ana', { label: 'delivery' });
      const fresh = await store.add(sampleItem(6, { text: 'where is my parcel?' }));
      expect(fresh).toMatchObject({ count: 1, state: 'open' });
      expect(fresh.id).not.toBe(a.id);
      expect(await store.openCount()).toBe(3);
    });

    it('concurrent repeats of one text make one item with the full count', async () => {
      const { store } = await setup();
      const items = await Promise.all(Array.from({ length: 12 }, (_, i) => store.add(sampleItem(i, { text: 'same text' }))));
      expect(new Set(items.map((x) => x.id)).size).toBe(1);
      expect((await store.get(items[0].id))?.count).toBe(12);
      expect(await store.openCount()).toBe(1);
    });

    it('merge counts on a pending item and returns undefined when there is none', async () => {
      const { store } = await setup();
      expect(await store.merge(sampleItem(1))).toBeUndefined();
      expect(await store.list()).toEqual([]);
      const a = await store.add(sampleItem(1));
      expect(await store.merge(sampleItem(1), { at: '2030-01-01T00:00:00Z' })).toMatchObject({ id: a.id, count: 2, lastSeenAt: '2030-01-01T00:00:00.000Z' });
    });

    it('near-duplicates (case, punctuation, apostrophes) are one item; labelling it labels the group', async () => {
      const { store } = await setup();
      const texts = ["I can't find my card!!", 'i cant find my card', 'I CAN’T FIND MY CARD.', '  i cant   find my card? '];
      const items = [];
      for (const [i, text] of texts.entries()) items.push(await store.add(sampleItem(i, { text })));
      expect(new Set(items.map((x) => x.id)).size).toBe(1);
      expect(items[3]).toMatchObject({ text: texts[0], count: 4 });
      expect(items[3].weightedCount).toBeGreaterThan(3.99);
      expect((await store.merge(sampleItem(9, { text: 'I cant find my card' })))?.count).toBe(5);
      // a different message is not a near-duplicate
      expect((await store.add(sampleItem(8, { text: 'i can find my card' }))).id).not.toBe(items[0].id);
      await store.resolve(items[0].id, 'ana', { label: 'card_lost' });
      // the group's one text is the training example (retrain compares labels by the same key)
      expect(await store.labelled()).toEqual([{ id: items[0].id, text: texts[0], label: 'card_lost' }]);
      expect((await store.list({ state: 'labelled' }))[0]).toMatchObject({ count: 5, label: 'card_lost' });
    });

    it('order priority: highest expected value first, as priorityOf scores them; equal scores oldest first', async () => {
      const { store } = await setup();
      const at = (h: number) => new Date(Date.UTC(2026, 0, 1) + h * 3_600_000).toISOString();
      const sure = { confidence: 0.9, alternatives: [{ intent: 'x', score: 0.05 }] };
      const unsure = { confidence: 0.3, alternatives: [{ intent: 'x', score: 0.25 }] };
      const lone = await store.add(sampleItem(0, { text: 'lone sure message', ...sure }), { at: at(0) });
      const twin1 = await store.add(sampleItem(1, { text: 'twin one', ...sure }), { at: at(1) });
      const twin2 = await store.add(sampleItem(2, { text: 'twin two', ...sure }), { at: at(1) });
      const busy = await store.add(sampleItem(3, { text: 'busy unsure message', ...unsure }), { at: at(2) });
      for (const h of [3, 4, 5]) await store.add(sampleItem(3, { text: 'Busy, unsure message!', ...unsure }), { at: at(h) });
      const llm = await store.add(sampleItem(4, { text: 'the llm failed on this', ...unsure, reason: 'llm_failed' }), { at: at(2) });
      const oos = await store.add(sampleItem(5, { text: 'not one of ours', ...unsure, reason: 'out_of_scope' }), { at: at(2) });
      const old = await store.add(sampleItem(6, { text: 'waited ten days', ...sure, reason: 'out_of_scope' }), { at: at(-240) });
      const list = await store.list({ state: 'open', order: 'priority' });
      const ids = (xs: readonly ReviewItem[]) => xs.map((x) => x.id);
      expect(ids(list)).toEqual([old.id, busy.id, llm.id, oos.id, lone.id, twin1.id, twin2.id]);
      // the stored order is the score order at any time after the last message
      for (const now of [Date.parse(at(6)), Date.parse(at(500))]) {
        const scores = list.map((i) => priorityOf(i, now).score);
        for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeLessThanOrEqual(scores[i - 1] * (1 + 1e-9));
      }
      expect(list[1]).toMatchObject({ count: 4 });
      expect(list[1].weightedCount).toBeCloseTo(2 ** (-3 / 168) + 2 ** (-2 / 168) + 2 ** (-1 / 168) + 1, 9);
      // created order is unchanged by it
      expect(ids(await store.list({ state: 'open' }))).toEqual(ids([lone, twin1, twin2, busy, llm, oos, old]));
    });

    it('claimNext claims in priority order; concurrent callers get different items; undefined when none is open', async () => {
      const { store } = await setup();
      const low = await store.add(sampleItem(0, { text: 'low', confidence: 0.9, alternatives: [] }));
      const high = await store.add(sampleItem(1, { text: 'high', confidence: 0.1, alternatives: [] }));
      const mid = await store.add(sampleItem(2, { text: 'mid', confidence: 0.5, alternatives: [] }));
      expect(await store.claimNext('ana')).toMatchObject({ id: high.id, state: 'claimed', claimedBy: 'ana' });
      const rest = await Promise.all(['bob', 'cy', 'di'].map((who) => store.claimNext(who)));
      const got = rest.filter((r) => r !== undefined);
      expect(new Set(got.map((r) => r.id))).toEqual(new Set([mid.id, low.id]));
      expect(rest.filter((r) => r === undefined)).toHaveLength(1);
      expect(await store.claimNext('ana')).toBeUndefined();
      expect(await store.openCount()).toBe(0);
      expect((await rejection(store.claimNext(' '))).code).toBe('invalid_input');
    });

    it('add with an id and a time (a spooled item): kept as given; the same id again is a no-op', async () => {
      const { store } = await setup();
      const id = '01HZZZZZZZZZZZZZZZZZZZZZZZ';
      const a = await store.add(sampleItem(1), { id, at: '2024-05-01T10:00:00Z' });
      expect(a).toMatchObject({ id, createdAt: '2024-05-01T10:00:00.000Z', count: 1 });
      expect(await store.add(sampleItem(1), { id, at: '2024-05-01T10:00:01Z' })).toEqual(a);
      expect(await store.get(id)).toEqual(a);
      expect((await rejection(store.add(sampleItem(2), { id: 'nope' }))).code).toBe('invalid_input');
      expect((await rejection(store.add(sampleItem(2), { at: 'yesterday' }))).code).toBe('invalid_input');
    });

    it('close is idempotent and later calls fail with unavailable', async () => {
      const loc = await harness.fresh();
      cleanups.push(() => loc.dispose());
      const store = await loc.open();
      await store.close();
      await store.close();
      expect((await rejection(store.list())).code).toBe('unavailable');
      expect((await rejection(store.add(sampleItem()))).code).toBe('unavailable');
    });

    if (harness.persistent) {
      it('data survives close and reopen; new ids still sort after old ones', async () => {
        const { store, loc } = await setup();
        const a = await store.add(sampleItem(1));
        const b = await store.add(sampleItem(2));
        await store.claim(a.id, 'ana');
        const done = await store.resolve(a.id, 'ana', { label: 'billing' });
        await store.close();
        const again = await loc.open();
        cleanups.push(() => again.close());
        expect(await again.get(a.id)).toEqual(done);
        expect(await again.get(b.id)).toEqual(b);
        expect(await again.labelled()).toEqual([{ id: a.id, text: a.text, label: 'billing' }]);
        const c = await again.add(sampleItem(3));
        expect(c.id > b.id).toBe(true);
      });

      it('two handles on the same data: a claim through one is seen and respected by the other', async () => {
        const { store, loc } = await setup();
        const other = await loc.open();
        cleanups.push(() => other.close());
        const items = await Promise.all([0, 1, 2].map((i) => store.add(sampleItem(i))));
        const results = await Promise.allSettled(items.flatMap((it) => [store.claim(it.id, 'ana'), other.claim(it.id, 'bob')]));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
        for (const it of items) expect(['ana', 'bob']).toContain((await other.get(it.id))?.claimedBy);
      });
    }
  });
}
