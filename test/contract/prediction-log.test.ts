import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openPredictionLog } from '../../src/adapters/prediction-log/index.js';
import { openFeedbackStore } from '../../src/adapters/feedback-store/index.js';
import { openReviewStore } from '../../src/adapters/review-store/index.js';
import { dropPgTables, PG_URL, requirePostgres, uniqueId } from '../helpers/real-services.js';
import { rejection, tempDir } from '../helpers/sample.js';
import { fullRecord, runPredictionLogContract } from './prediction-log.contract.js';

describe('sqlite file', () => {
  const root = tempDir('intentops-predictions-');
  let n = 0;
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  runPredictionLogContract('sqlite (file, WAL)', {
    persistent: true,
    fresh: async () => {
      const dir = join(root, `case-${n++}`);
      return { open: () => openPredictionLog(`sqlite:${join(dir, 'events.db')}`), dispose: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  });

  it('shares one file with the review queue and feedback: own tables, own migrations', async () => {
    const file = join(root, 'shared.db');
    const [log, feedback, review] = await Promise.all([openPredictionLog(`sqlite:${file}`), openFeedbackStore(`sqlite:${file}`), openReviewStore(`sqlite:${file}`)]);
    try {
      await log.append([fullRecord(1)]);
      await feedback.add({ predictionId: 'req-1', rating: 1, source: 'ana' });
      await review.add({ text: 'x', guess: 'billing', confidence: 0.3, alternatives: [], reason: 'low_confidence', model: { name: 'm', version: '1' } });
      const db = new Database(file, { readonly: true });
      const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((t) => t.name);
      const indexes = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[]).map((t) => t.name);
      const versions = db.prepare('SELECT version FROM events_migrations').all();
      db.close();
      expect(tables).toEqual(expect.arrayContaining(['events_migrations', 'feedback', 'prediction_log', 'review_items', 'review_migrations']));
      expect(indexes).toEqual(expect.arrayContaining(['prediction_log_at', 'feedback_at', 'feedback_prediction_id']));
      expect(versions).toEqual([{ version: 1 }, { version: 2 }]);
    } finally {
      await Promise.all([log.close(), feedback.close(), review.close()]);
    }
  });

  it('a file that is not a database fails with corrupt, naming it', async () => {
    const file = join(root, 'not-a-db.db');
    (await import('node:fs')).writeFileSync(file, 'this is not SQLite, just text that is long enough to fill a header page '.repeat(20));
    const err = await rejection(openPredictionLog(`sqlite:${file}`));
    expect(err.code).toBe('corrupt');
    expect(err.where).toBe(`sqlite:${file}`);
  });
});

runPredictionLogContract('sqlite (:memory:)', {
  persistent: false,
  fresh: async () => ({ open: () => openPredictionLog('sqlite::memory:'), dispose: async () => undefined }),
});

describe('URI table', () => {
  it('an unknown scheme fails with invalid_config listing the valid forms', async () => {
    const err = await rejection(openPredictionLog('mongodb://localhost/x'));
    expect(err.code).toBe('invalid_config');
    expect(err.message).toMatch(/unknown scheme "mongodb".*sqlite:PATH.*postgres:\/\//);
    expect((await rejection(openFeedbackStore('sqlite:'))).code).toBe('invalid_config');
  });

  it('never echoes a password from the URI', async () => {
    const err = await rejection(openPredictionLog('postgres://u:s3cret@127.0.0.1:5432/test?schema=bad-name'));
    expect(err.code).toBe('invalid_config');
    expect(`${err.message} ${err.where}`).not.toMatch(/s3cret/);
  });
});

// The real server on this machine: a down server fails these tests (with the start command), never skips them.
describe('postgres (real server)', () => {
  const run = `t_${uniqueId()}_`;
  let n = 0;
  afterAll(() => dropPgTables(run));
  runPredictionLogContract(`postgres (${PG_URL})`, {
    persistent: true,
    fresh: async () => {
      await requirePostgres();
      const tablePrefix = `${run}${n++}_`;
      return { open: () => openPredictionLog(PG_URL, { tablePrefix }), dispose: () => dropPgTables(tablePrefix) };
    },
  });

  it('?schema=NAME puts the tables in that schema', async () => {
    await requirePostgres();
    const schema = `s_${uniqueId()}`;
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const log = await openPredictionLog(`${PG_URL}?schema=${schema}`, { tablePrefix: 'x_' });
      await log.append([fullRecord(1)]);
      expect(await log.get('req-1')).toEqual(fullRecord(1));
      await log.close();
      const { rows } = await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`, [schema]);
      expect(rows.map((r) => r.tablename)).toEqual(['x_events_migrations', 'x_feedback', 'x_prediction_log']);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });
});
