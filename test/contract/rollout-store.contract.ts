import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRegistryStore } from '../../src/adapters/registry/index.js';
import { openRolloutStore, type RolloutStoreOptions } from '../../src/adapters/rollout/index.js';
import { MIGRATIONS_TABLE, openSqlDb, table } from '../../src/adapters/sql/index.js';
import type { RolloutStore } from '../../src/ports/rollout-store.js';
import { rejection } from '../helpers/sample.js';
import type { FreshStore } from './tracking-store.contract.js';

function manualClock(start = Date.parse('2025-03-01T10:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

/** The behaviour every RolloutStore adapter shares, run against SQLite and the real PostgreSQL. */
export function runRolloutStoreContract(name: string, fresh: FreshStore): void {
  describe(`RolloutStore contract: ${name}`, () => {
    let uri: string;
    let cleanup: () => Promise<void>;
    const open: { close(): Promise<void> }[] = [];
    let clock = manualClock();
    const store = async (opts: RolloutStoreOptions = { now: () => clock.now() }): Promise<RolloutStore> => {
      const s = await openRolloutStore(uri, opts);
      open.push(s);
      return s;
    };

    beforeEach(async () => {
      clock = manualClock();
      ({ uri, cleanup } = await fresh());
    });
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
      await cleanup();
    });

    it('has no state for a model never set, then keeps mode, share, who, when and why', async () => {
      const s = await store();
      expect(await s.get('tickets')).toBeUndefined();
      expect(await s.history('tickets')).toEqual([]);
      const first = await s.set({ name: 'tickets', mode: 'shadow', share: 0, who: 'ana', why: 'watch v4 quietly' });
      expect(first).toMatchObject({ name: 'tickets', from: null, to: { mode: 'shadow', share: 0 }, who: 'ana', why: 'watch v4 quietly', at: '2025-03-01T10:00:00.000Z' });
      expect(await s.get('tickets')).toEqual({ name: 'tickets', mode: 'shadow', share: 0, updatedAt: '2025-03-01T10:00:00.000Z', updatedBy: 'ana', note: 'watch v4 quietly' });
      clock.advance(60_000);
      await s.set({ name: 'tickets', mode: 'canary', share: 0.05, who: 'bo' });
      expect(await s.get('tickets')).toEqual({ name: 'tickets', mode: 'canary', share: 0.05, updatedAt: '2025-03-01T10:01:00.000Z', updatedBy: 'bo', note: null });
      expect(await s.get('other')).toBeUndefined();
    });

    it('audits every change from → to, newest first, per model', async () => {
      const s = await store();
      await s.set({ name: 'tickets', mode: 'shadow', share: 0, who: 'ana', why: 'a' });
      clock.advance(1000);
      await s.set({ name: 'tickets', mode: 'canary', share: 0.2, who: 'bo', why: 'b' });
      await s.set({ name: 'zeta', mode: 'ab', share: 0.5, who: 'cy' });
      clock.advance(1000);
      const last = await s.set({ name: 'tickets', mode: 'off', share: 0, who: 'ana', why: 'rollback' });
      const log = await s.history('tickets');
      expect(log.map((e) => [e.from, e.to, e.who, e.why])).toEqual([
        [{ mode: 'canary', share: 0.2 }, { mode: 'off', share: 0 }, 'ana', 'rollback'],
        [{ mode: 'shadow', share: 0 }, { mode: 'canary', share: 0.2 }, 'bo', 'b'],
        [null, { mode: 'shadow', share: 0 }, 'ana', 'a'],
      ]);
      expect(log[0]).toEqual(last);
      expect(log[0].at).toBe('2025-03-01T10:00:02.000Z');
      expect(log[0].id).toBeGreaterThan(log[1].id);
      expect((await s.history('tickets', { limit: 1 })).map((e) => e.id)).toEqual([last.id]);
      expect((await s.history('zeta')).map((e) => e.to)).toEqual([{ mode: 'ab', share: 0.5 }]);
    });

    it('refuses a bad name, mode, share or who, writing nothing', async () => {
      const s = await store();
      const bad = [
        { name: 'a/b', mode: 'canary', share: 0.1, who: 'ana' },
        { name: 'tickets', mode: 'blue', share: 0.1, who: 'ana' },
        { name: 'tickets', mode: 'canary', share: 1.5, who: 'ana' },
        { name: 'tickets', mode: 'canary', share: -0.01, who: 'ana' },
        { name: 'tickets', mode: 'shadow', share: 0.3, who: 'ana' },
        { name: 'tickets', mode: 'canary', share: 0.1, who: ' ' },
      ];
      for (const change of bad) expect((await rejection(s.set(change as never))).code).toBe('invalid_input');
      expect((await rejection(s.history('tickets', { limit: 0 }))).code).toBe('invalid_input');
      expect(await s.get('tickets')).toBeUndefined();
      expect(await s.history('tickets')).toEqual([]);
    });

    it('keeps the log append-only, even against direct SQL', async () => {
      const s = await store();
      await s.set({ name: 'tickets', mode: 'canary', share: 0.1, who: 'ana' });
      const db = await openSqlDb(uri, 'test');
      try {
        await expect(db.run(`UPDATE ${table(db, 'rollout_log')} SET who = 'mallory'`)).rejects.toThrow(/append-only/);
        await expect(db.run(`DELETE FROM ${table(db, 'rollout_log')}`)).rejects.toThrow(/append-only/);
      } finally {
        await db.close();
      }
      expect((await s.history('tickets'))[0].who).toBe('ana');
    });

    it('serialises concurrent changes from two connections: each entry starts where the previous ended', async () => {
      const [a, b] = [await store({}), await store({})];
      const modes = ['shadow', 'canary', 'ab', 'off'] as const;
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => {
          const mode = modes[i % 4];
          return (i % 2 ? a : b).set({ name: 'tickets', mode, share: mode === 'canary' || mode === 'ab' ? (i + 1) / 20 : 0, who: `w${i}` });
        }),
      );
      const log = (await a.history('tickets')).reverse();
      expect(log).toHaveLength(12);
      expect(log[0].from).toBeNull();
      for (let i = 1; i < log.length; i++) expect(log[i].from).toEqual(log[i - 1].to);
      const now = (await b.get('tickets'))!;
      expect({ mode: now.mode, share: now.share }).toEqual(log[log.length - 1].to);
    });

    it('is shared: a second store (another replica) sees changes, and everything survives reopening', async () => {
      const a = await store();
      const b = await store();
      await a.set({ name: 'tickets', mode: 'ab', share: 0.5, who: 'ana' });
      expect((await b.get('tickets'))!.mode).toBe('ab');
      for (const s of open.splice(0)) await s.close();
      const c = await store();
      expect((await c.get('tickets'))!.share).toBe(0.5);
      expect(await c.history('tickets')).toHaveLength(1);
    });

    it('lives next to the registry in the same database, with its own tables and migration entry', async () => {
      const registry = await openRegistryStore(uri);
      open.push(registry);
      const s = await store();
      await registry.addVersion({ name: 'tickets', artifact: '1'.repeat(64) });
      await s.set({ name: 'tickets', mode: 'shadow', share: 0, who: 'ana' });
      expect((await registry.getModel('tickets'))!.latestVersion).toBe(1);
      const db = await openSqlDb(uri, 'test');
      try {
        const rows = await db.all<{ component: string; version: number }>(`SELECT component, version FROM ${table(db, MIGRATIONS_TABLE)} ORDER BY component`);
        expect(rows.map((r) => [r.component, Number(r.version)])).toEqual([
          ['registry', 1],
          ['rollout', 1],
        ]);
      } finally {
        await db.close();
      }
      // opening again does not migrate twice
      await (await store()).get('tickets');
    });
  });
}
