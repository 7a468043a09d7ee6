import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLoopStore, type LoopStoreOptions } from '../../src/adapters/loop/index.js';
import { openSqlDb, table } from '../../src/adapters/sql/index.js';
import type { LoopStore } from '../../src/ports/loop-store.js';
import { rejection } from '../helpers/sample.js';
import type { FreshStore } from './tracking-store.contract.js';

/** The behaviour every LoopStore adapter shares, run against SQLite and the real PostgreSQL. */
export function runLoopStoreContract(name: string, fresh: FreshStore): void {
  describe(`LoopStore contract: ${name}`, () => {
    let uri: string;
    let cleanup: () => Promise<void>;
    const open: { close(): Promise<void> }[] = [];
    let t = Date.parse('2025-03-01T10:00:00.000Z');
    const store = async (opts: LoopStoreOptions = { now: () => new Date((t += 1000)) }): Promise<LoopStore> => {
      const s = await openLoopStore(uri, opts);
      open.push(s);
      return s;
    };

    beforeEach(async () => {
      ({ uri, cleanup } = await fresh());
    });
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
      await cleanup();
    });

    it('begins an iteration in collect, saves its state and figures, and lists iterations newest first', async () => {
      const s = await store();
      expect(await s.iterations('tickets')).toEqual([]);
      const it1 = await s.begin('tickets');
      expect(it1).toMatchObject({ name: 'tickets', state: 'collect', outcome: null, reason: null, labels: null, version: null, baseline: null, shadowSince: null, revision: 1, detail: {} });
      const saved = await s.save({ ...it1, state: 'judge', labels: 120, version: 4, baseline: 3, shadowSince: '2025-03-01T10:00:05.000Z', detail: { gate: 'passed', added: { review: 20 } } });
      expect(saved).toMatchObject({ id: it1.id, state: 'judge', labels: 120, version: 4, baseline: 3, shadowSince: '2025-03-01T10:00:05.000Z', revision: 2, detail: { gate: 'passed', added: { review: 20 } } });
      expect(saved.updatedAt > it1.updatedAt).toBe(true);
      const done = await s.save({ ...saved, state: 'done', outcome: 'promoted', reason: 'v4 promoted' });
      const it2 = await s.begin('tickets');
      expect(it2.id).toBeGreaterThan(it1.id);
      expect((await s.iterations('tickets')).map((i) => i.id)).toEqual([it2.id, done.id]);
      expect((await s.iterations('tickets', { limit: 1 })).map((i) => i.id)).toEqual([it2.id]);
      expect(await s.iterations('other')).toEqual([]);
    });

    it('refuses a second open iteration of a model, and a save from a stale copy (two loops at once)', async () => {
      const [a, b] = [await store(), await store()];
      const it = await a.begin('tickets');
      expect((await rejection(b.begin('tickets'))).message).toMatch(/another `intentops loop run`.*iteration \d+ is still open/);
      // another model is independent
      await b.begin('billing');
      const mine = await a.save({ ...it, state: 'retrain' });
      const err = await rejection(b.save({ ...it, state: 'shadow' }));
      expect(err.code).toBe('unavailable');
      expect(err.message).toMatch(/saved by another run since revision 1/);
      expect((await a.iterations('tickets'))[0]).toMatchObject({ state: 'retrain', revision: mine.revision });
    });

    it('journals steps in order, per iteration, and the journal is append-only whoever writes', async () => {
      const s = await store();
      const it = await s.begin('tickets');
      const other = await s.begin('billing');
      await s.record({ iteration: it.id, step: 'retrain', phase: 'start' });
      await s.record({ iteration: other.id, step: 'collect', phase: 'start' });
      await s.record({ iteration: it.id, step: 'retrain', phase: 'end', outcome: 'ok', detail: 'registered v4' });
      const j = await s.journal(it.id);
      expect(j.map((e) => [e.step, e.phase, e.outcome, e.detail])).toEqual([
        ['retrain', 'start', null, null],
        ['retrain', 'end', 'ok', 'registered v4'],
      ]);
      expect(j[0].at < j[1].at).toBe(true);
      const db = await openSqlDb(uri, 'test');
      try {
        await expect(db.run(`UPDATE ${table(db, 'loop_journal')} SET outcome = 'forged'`)).rejects.toThrow(/append-only/);
        await expect(db.run(`DELETE FROM ${table(db, 'loop_journal')}`)).rejects.toThrow(/append-only/);
      } finally {
        await db.close();
      }
      expect(await s.journal(it.id)).toHaveLength(2);
    });

    it('keeps everything across a reopen (state lives in the database, not the process)', async () => {
      const a = await store();
      const it = await a.save({ ...(await a.begin('tickets')), state: 'promote', version: 2 });
      await a.record({ iteration: it.id, step: 'judge', phase: 'end', outcome: 'ok' });
      const b = await store();
      expect((await b.iterations('tickets'))[0]).toMatchObject({ id: it.id, state: 'promote', version: 2, revision: 2 });
      expect(await b.journal(it.id)).toHaveLength(1);
    });
  });
}
