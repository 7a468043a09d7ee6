import { describe, expect, it } from 'vitest';
import { testServing, UNSURE } from '../../../test/helpers/serving.js';

/** An unsure message's answer without the parts that differ between two calls. */
async function unsureAnswer(s: Awaited<ReturnType<typeof testServing>>, text: string): Promise<Record<string, unknown>> {
  const r = await s.post('/v1/classify', { text });
  expect(r.status).toBe(200);
  const { id: _id, timings: _t, review: _r, ...rest } = (await r.json()) as Record<string, unknown>;
  return rest;
}

describe('serving with the neighbour search on its own thread (server.searchThread)', () => {
  it('auto keeps the small sample model’s searches on the event loop (a thread costs more than they do)', async () => {
    const s = await testServing();
    try {
      expect(s.model().searchThread).toBe(false);
    } finally {
      await s.close();
    }
  });

  const texts = [UNSURE, 'hmm', 'not sure what this is about', 'ok thanks', 'see attached'];

  it('answers unsure messages with the same neighbours as searching on the event loop', async () => {
    const on = await testServing({ flags: { server: { searchThread: 'on' } } });
    const off = await testServing({ flags: { server: { searchThread: 'off' } } });
    try {
      expect([on.model().searchThread, off.model().searchThread]).toEqual([true, false]);
      for (const text of texts) {
        const a = await unsureAnswer(on, text);
        expect(a.route).not.toBe('accepted');
        expect((a.neighbours as unknown[]).length).toBe(3);
        expect(a).toEqual(await unsureAnswer(off, text));
      }
    } finally {
      await Promise.all([on.close(), off.close()]);
    }
  });

  it('keeps answering, with the same neighbours, when the search thread is gone', async () => {
    const s = await testServing({ flags: { server: { searchThread: 'on' } } });
    try {
      // the review item is added while the neighbours are searched, and the answer waits for it
      const r = (await (await s.post('/v1/classify', { text: UNSURE })).json()) as { route: string; review?: { id: string } };
      expect(r.route).toBe('review');
      const items = (await (await s.get('/v1/review?state=open&limit=100')).json()).items as { id: string; text: string }[];
      expect(items.find((i) => i.id === r.review!.id)?.text).toBe(UNSURE);
      const before = await unsureAnswer(s, UNSURE);
      expect(s.model().searchThread).toBe(true);
      await s.model().close(); // ends the thread: searches run on the event loop again
      expect(s.model().searchThread).toBe(false);
      expect(await unsureAnswer(s, UNSURE)).toEqual(before);
    } finally {
      await s.close();
    }
  });
});
