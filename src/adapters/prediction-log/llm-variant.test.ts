import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { PredictionLog, PredictionRecord } from '../../ports/prediction-log.js';
import { dropPgTables, PG_URL, requirePostgres, uniqueId } from '../../../test/helpers/real-services.js';
import { openPredictionLog } from './index.js';
import type { SqlDb } from '../sql/index.js';
import { eventsMigrations } from './schema.js';

/** The first schema version's DDL, as the release that wrote it ran it. */
const v1 = (dialect: 'sqlite' | 'postgres', prefix?: string) => eventsMigrations(prefix)[0]({ dialect } as SqlDb)[dialect].join(';\n');

/*
 * The LLM variant of every logged answer (issue #17), and LLM shadow answers (variant
 * 'llm-shadow'), in both events backends — including a database created by the first schema
 * version, with rows in it, migrated on open.
 */

const at = '2026-01-01T00:00:00.000Z';
const old: PredictionRecord = { id: 'old-1', at, model: { name: 'm', version: '1' }, variant: 'champion', intent: 'billing', confidence: 0.4, route: 'llm', reason: 'llm_answered', cached: false, latencyMs: 20, llm: { model: 'gpt-4o-mini', promptTokens: 100, completionTokens: 5, costUsd: 0.0001 } };
const answer: PredictionRecord = { ...old, id: 'new-1', llm: { model: 'fake-good', variant: 'classify-v2@3', promptTokens: 120, completionTokens: 6, costUsd: 0.0002, latencyMs: 31 } };
const shadow: PredictionRecord = { ...answer, variant: 'llm-shadow', intent: 'refund', llm: { model: 'fake-cheap', variant: 'classify-v3@4', promptTokens: 120, completionTokens: 6, costUsd: 0.00005, latencyMs: 12 } };

async function exercise(log: PredictionLog): Promise<void> {
  // a row written before the variant was logged reads back as it was
  expect(await log.get('old-1')).toEqual(old);
  await log.append([answer, shadow]);
  expect(await log.get('new-1')).toEqual(answer);
  // without a variant, the answer the client got, never the shadow's
  expect((await log.get('new-1'))?.variant).toBe('champion');
  expect(await log.get('new-1', 'llm-shadow')).toEqual(shadow);
  expect(await log.query({ variant: 'llm-shadow' })).toEqual([shadow]);
  expect((await log.query()).map((r) => `${r.id}/${r.variant}/${r.llm?.variant ?? '-'}`)).toEqual(['new-1/champion/classify-v2@3', 'new-1/llm-shadow/classify-v3@4', 'old-1/champion/-']);
  await expect(log.append([{ ...answer, id: 'bad', llm: { ...answer.llm!, variant: '' } }])).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/llm\.variant/) });
}

describe('sqlite', () => {
  const root = mkdtempSync(join(tmpdir(), 'intentops-llm-variant-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('migrates a version-1 database with rows, then stores and returns each answer\'s LLM variant and llm-shadow records', async () => {
    const file = join(root, 'events.db');
    const db = new Database(file);
    db.exec('CREATE TABLE events_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT');
    db.exec(v1('sqlite'));
    db.prepare('INSERT INTO events_migrations VALUES (1, ?)').run(at);
    db.prepare(`INSERT INTO prediction_log (id, variant, at, model_name, model_version, intent, confidence, route, reason, cached, latency_ms, llm) VALUES ('old-1', 'champion', ?, 'm', '1', 'billing', 0.4, 'llm', 'llm_answered', 0, 20, ?)`).run(at, JSON.stringify(old.llm));
    // the first schema refuses the new variant
    expect(() => db.prepare(`INSERT INTO prediction_log (id, variant, at, model_name, model_version, intent, confidence, route, reason, cached, latency_ms) VALUES ('x', 'llm-shadow', ?, 'm', '1', 'b', 0, 'llm', 'r', 0, 1)`).run(at)).toThrow(/CHECK/);
    db.close();
    const log = await openPredictionLog(`sqlite:${file}`);
    try {
      await exercise(log);
    } finally {
      await log.close();
    }
    const after = new Database(file, { readonly: true });
    expect(after.prepare('SELECT version FROM events_migrations ORDER BY version').all()).toEqual([{ version: 1 }, { version: 2 }]);
    expect(after.prepare(`SELECT llm_variant FROM prediction_log WHERE id = 'new-1' AND variant = 'champion'`).get()).toEqual({ llm_variant: 'classify-v2@3' });
    expect(after.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'prediction_log_at'`).all()).toHaveLength(1);
    after.close();
  });

  it('a new in-memory log stores the variant too', async () => {
    const log = await openPredictionLog('sqlite::memory:');
    try {
      await log.append([old]);
      await exercise(log);
    } finally {
      await log.close();
    }
  });
});

describe('postgres (real server)', () => {
  const prefix = `t_${uniqueId()}_`;
  afterAll(() => dropPgTables(prefix));

  it('migrates version-1 tables with rows, then stores and returns each answer\'s LLM variant and llm-shadow records', async () => {
    await requirePostgres();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`CREATE TABLE ${prefix}events_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
      await client.query(v1('postgres', prefix));
      await client.query(`INSERT INTO ${prefix}events_migrations (version) VALUES (1)`);
      await client.query(`INSERT INTO ${prefix}prediction_log (id, variant, at, model_name, model_version, intent, confidence, route, reason, cached, latency_ms, llm) VALUES ('old-1', 'champion', $1, 'm', '1', 'billing', 0.4, 'llm', 'llm_answered', false, 20, $2)`, [at, JSON.stringify(old.llm)]);
      await expect(client.query(`INSERT INTO ${prefix}prediction_log (id, variant, at, model_name, model_version, intent, confidence, route, reason, cached, latency_ms) VALUES ('x', 'llm-shadow', $1, 'm', '1', 'b', 0, 'llm', 'r', false, 1)`, [at])).rejects.toThrow(/check constraint/);
      const log = await openPredictionLog(PG_URL, { tablePrefix: prefix });
      try {
        await exercise(log);
      } finally {
        await log.close();
      }
      const { rows } = await client.query(`SELECT version FROM ${prefix}events_migrations ORDER BY version`);
      expect(rows).toEqual([{ version: 1 }, { version: 2 }]);
      // other variants are still refused
      await expect(client.query(`INSERT INTO ${prefix}prediction_log (id, variant, at, model_name, model_version, intent, confidence, route, reason, cached, latency_ms) VALUES ('y', 'other', $1, 'm', '1', 'b', 0, 'llm', 'r', false, 1)`, [at])).rejects.toThrow(/check constraint/);
    } finally {
      await client.end();
    }
  });
});
