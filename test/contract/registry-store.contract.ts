import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRegistryStore, type RegistryStoreOptions } from '../../src/adapters/registry/index.js';
import { openSqlDb, table } from '../../src/adapters/sql/index.js';
import type { RegistryStore } from '../../src/ports/registry-store.js';
import { nodeScript } from '../helpers/node-script.js';
import { ROOT, rejection } from '../helpers/sample.js';
import type { FreshStore } from './tracking-store.contract.js';

const H1 = '1'.repeat(64);
const H2 = '2'.repeat(64);
const H3 = '3'.repeat(64);

function manualClock(start = Date.parse('2025-03-01T10:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

/** Runs the add-versions helper in `n` processes at once; resolves with every number they got. */
async function addFromProcesses(uri: string, name: string, n: number, each: number): Promise<number[]> {
  const argv = await nodeScript('test/helpers/registry-add-versions.ts', [uri, name, String(each), H1]);
  const one = () =>
    new Promise<number[]>((resolveP, reject) => {
      const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code) => (code === 0 ? resolveP(out.trim().split('\n').map(Number)) : reject(new Error(`helper exited ${code}: ${err}`))));
    });
  return Promise.all(Array.from({ length: n }, one)).then((r) => r.flat());
}

/** The behaviour every RegistryStore adapter shares, run against SQLite and the real PostgreSQL. */
export function runRegistryStoreContract(name: string, fresh: FreshStore): void {
  describe(`RegistryStore contract: ${name}`, () => {
    let uri: string;
    let cleanup: () => Promise<void>;
    const open: RegistryStore[] = [];
    let clock = manualClock();
    const store = async (opts: RegistryStoreOptions = { now: () => clock.now() }) => {
      const s = await openRegistryStore(uri, opts);
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

    it('numbers versions 1, 2, 3 per model and reads them back by number, latest and alias', async () => {
      const s = await store();
      const v1 = await s.addVersion({ name: 'tickets', artifact: H1, runId: 'run-1', description: 'first', source: '/models/a', metrics: { valAccuracy: 0.9 }, createdBy: 'ana' });
      clock.advance(1000);
      const v2 = await s.addVersion({ name: 'tickets', artifact: H2 });
      const other = await s.addVersion({ name: 'other.model_v-2', artifact: H1 });
      const v3 = await s.addVersion({ name: 'tickets', artifact: H1 });
      expect([v1.version, v2.version, v3.version, other.version]).toEqual([1, 2, 3, 1]);
      expect(v1).toEqual({ name: 'tickets', version: 1, artifact: H1, runId: 'run-1', description: 'first', source: '/models/a', metrics: { valAccuracy: 0.9 }, createdAt: '2025-03-01T10:00:00.000Z', createdBy: 'ana' });
      expect(v2).toMatchObject({ runId: null, description: null, source: null, metrics: {}, createdBy: null, createdAt: '2025-03-01T10:00:01.000Z' });
      expect(await s.getVersion('tickets', 1)).toEqual(v1);
      expect(await s.getVersion('tickets', 'latest')).toEqual(v3);
      expect(await s.getVersion('tickets', 4)).toBeUndefined();
      expect(await s.getVersion('nobody', 1)).toBeUndefined();
      expect(await s.getVersion('tickets', { alias: 'champion' })).toBeUndefined();
      await s.moveAlias({ name: 'tickets', alias: 'champion', to: 2, who: 'ana' });
      expect(await s.getVersion('tickets', { alias: 'champion' })).toEqual(v2);
    });

    it('lists models with latest version and aliases; shows one with its versions', async () => {
      const s = await store();
      expect(await s.listModels()).toEqual([]);
      expect(await s.getModel('tickets')).toBeUndefined();
      await s.addVersion({ name: 'zeta', artifact: H1 });
      await s.addVersion({ name: 'tickets', artifact: H1 });
      await s.addVersion({ name: 'tickets', artifact: H2 });
      await s.moveAlias({ name: 'tickets', alias: 'champion', to: 1, who: 'ana' });
      await s.moveAlias({ name: 'tickets', alias: 'challenger', to: 2, who: 'ana' });
      const list = await s.listModels();
      expect(list.map((m) => [m.name, m.latestVersion, m.aliases])).toEqual([
        ['tickets', 2, { challenger: 2, champion: 1 }],
        ['zeta', 1, {}],
      ]);
      const detail = (await s.getModel('tickets'))!;
      expect(detail.versions.map((v) => [v.version, v.artifact])).toEqual([[1, H1], [2, H2]]);
      expect(detail.aliases).toEqual({ champion: 1, challenger: 2 });
    });

    it('writes every alias set, move and delete to the audit log: who, when, from, to, why', async () => {
      const s = await store();
      for (const h of [H1, H2, H3]) await s.addVersion({ name: 'tickets', artifact: h });
      const set = await s.moveAlias({ name: 'tickets', alias: 'champion', to: 1, who: 'ana', why: 'first release' });
      clock.advance(60_000);
      const moved = await s.moveAlias({ name: 'tickets', alias: 'champion', to: 3, who: 'ci', why: 'gate passed' });
      await s.moveAlias({ name: 'tickets', alias: 'challenger', to: 2, who: 'ci' });
      clock.advance(60_000);
      const deleted = await s.moveAlias({ name: 'tickets', alias: 'challenger', to: null, who: 'bo', why: 'retired' });
      expect(set).toMatchObject({ name: 'tickets', alias: 'champion', from: null, to: 1, who: 'ana', why: 'first release', at: '2025-03-01T10:00:00.000Z' });
      expect(moved).toMatchObject({ from: 1, to: 3, who: 'ci', why: 'gate passed', at: '2025-03-01T10:01:00.000Z' });
      expect(deleted).toMatchObject({ alias: 'challenger', from: 2, to: null, who: 'bo', why: 'retired', at: '2025-03-01T10:02:00.000Z' });
      const log = await s.history('tickets');
      expect(log.map((m) => [m.alias, m.from, m.to, m.who, m.why])).toEqual([
        ['challenger', 2, null, 'bo', 'retired'],
        ['challenger', null, 2, 'ci', null],
        ['champion', 1, 3, 'ci', 'gate passed'],
        ['champion', null, 1, 'ana', 'first release'],
      ]);
      expect(log[0]).toEqual(deleted);
      expect((await s.history('tickets', { alias: 'champion' })).map((m) => m.to)).toEqual([3, 1]);
      expect((await s.history('tickets', { limit: 1 })).map((m) => m.id)).toEqual([deleted.id]);
      expect(await s.getVersion('tickets', { alias: 'challenger' })).toBeUndefined();
      expect((await s.getModel('tickets'))!.aliases).toEqual({ champion: 3 });
    });

    it('refuses alias moves to unknown models or versions, unknown deletes and bad input, logging nothing', async () => {
      const s = await store();
      await s.addVersion({ name: 'tickets', artifact: H1 });
      expect((await rejection(s.moveAlias({ name: 'nobody', alias: 'champion', to: 1, who: 'ana' }))).code).toBe('not_found');
      expect((await rejection(s.moveAlias({ name: 'tickets', alias: 'champion', to: 2, who: 'ana' }))).message).toMatch(/no version 2/);
      expect((await rejection(s.moveAlias({ name: 'tickets', alias: 'champion', to: null, who: 'ana' }))).code).toBe('not_found');
      for (const alias of ['latest', 'v3', '1st', 'has space', 'a@b', '']) {
        expect((await rejection(s.moveAlias({ name: 'tickets', alias, to: 1, who: 'ana' }))).code).toBe('invalid_input');
      }
      expect((await rejection(s.moveAlias({ name: 'tickets', alias: 'champion', to: 1, who: ' ' }))).code).toBe('invalid_input');
      expect((await rejection(s.moveAlias({ name: 'tickets', alias: 'champion', to: 0, who: 'ana' }))).code).toBe('invalid_input');
      expect(await s.history('tickets')).toEqual([]);
      expect((await s.getModel('tickets'))!.aliases).toEqual({});
    });

    it('validates names, artifact hashes and metrics on addVersion', async () => {
      const s = await store();
      for (const name of ['', 'a/b', 'a@b', '-x', 'x'.repeat(129)]) expect((await rejection(s.addVersion({ name, artifact: H1 }))).code).toBe('invalid_input');
      expect((await rejection(s.addVersion({ name: 'm', artifact: 'abc' }))).code).toBe('invalid_input');
      expect((await rejection(s.addVersion({ name: 'm', artifact: H1, metrics: { acc: NaN } }))).code).toBe('invalid_input');
      expect((await rejection(s.getVersion('m', 0))).code).toBe('invalid_input');
      expect(await s.listModels()).toEqual([]);
    });

    it('keeps versions immutable and the alias log append-only, even against direct SQL', async () => {
      const s = await store();
      await s.addVersion({ name: 'tickets', artifact: H1 });
      await s.moveAlias({ name: 'tickets', alias: 'champion', to: 1, who: 'ana' });
      const db = await openSqlDb(uri, 'test');
      try {
        await expect(db.run(`UPDATE ${table(db, 'registry_versions')} SET artifact = ?`, [H2])).rejects.toThrow(/immutable/);
        await expect(db.run(`DELETE FROM ${table(db, 'registry_versions')}`)).rejects.toThrow(/immutable/);
        await expect(db.run(`UPDATE ${table(db, 'registry_alias_log')} SET who = 'mallory'`)).rejects.toThrow(/append-only/);
        await expect(db.run(`DELETE FROM ${table(db, 'registry_alias_log')}`)).rejects.toThrow(/append-only/);
      } finally {
        await db.close();
      }
      expect((await s.getVersion('tickets', 1))!.artifact).toBe(H1);
      expect((await s.history('tickets'))[0].who).toBe('ana');
    });

    it('assigns distinct consecutive numbers to concurrent registrations (Promise.all over two connections)', async () => {
      const [a, b] = [await store({}), await store({})];
      const got = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).addVersion({ name: 'tickets', artifact: i % 2 ? H1 : H2, description: `#${i}` })));
      expect(got.map((v) => v.version).sort((x, y) => x - y)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      expect((await a.getModel('tickets'))!.versions.map((v) => v.version)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
      expect((await a.listModels())[0].latestVersion).toBe(16);
    });

    it('assigns distinct consecutive numbers to registrations from several processes at once', async () => {
      await (await store()).close();
      open.length = 0;
      const got = await addFromProcesses(uri, 'tickets', 4, 5);
      expect(got.sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it('serialises concurrent alias moves: each log entry starts where the previous one ended', async () => {
      const [a, b] = [await store({}), await store({})];
      for (let i = 0; i < 4; i++) await a.addVersion({ name: 'tickets', artifact: H1 });
      await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).moveAlias({ name: 'tickets', alias: 'champion', to: (i % 4) + 1, who: `w${i}` })));
      const log = (await a.history('tickets')).reverse();
      expect(log).toHaveLength(12);
      expect(log[0].from).toBeNull();
      for (let i = 1; i < log.length; i++) expect(log[i].from).toBe(log[i - 1].to);
      expect((await a.getModel('tickets'))!.aliases.champion).toBe(log[log.length - 1].to);
    });

    it('keeps everything across reopening', async () => {
      const a = await store();
      await a.addVersion({ name: 'tickets', artifact: H1 });
      await a.moveAlias({ name: 'tickets', alias: 'champion', to: 1, who: 'ana' });
      await a.close();
      open.length = 0;
      const b = await store();
      expect((await b.getVersion('tickets', { alias: 'champion' }))!.artifact).toBe(H1);
      expect((await b.addVersion({ name: 'tickets', artifact: H2 })).version).toBe(2);
    });
  });
}
