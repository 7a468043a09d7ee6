import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPredictionLog } from '../../adapters/prediction-log/index.js';
import { openFeedbackStore } from '../../adapters/feedback-store/index.js';
import type { PredictionRecord } from '../../ports/prediction-log.js';
import { rejection, tempDir } from '../../../test/helpers/sample.js';
import { formatPurge, parseDuration, parseSince, purgeEvents } from './purge.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 30, 12);

const record = (id: string, daysAgo: number): PredictionRecord => ({
  id,
  at: new Date(NOW - daysAgo * DAY).toISOString(),
  model: { name: 'm', version: 'v' },
  variant: 'champion',
  intent: 'billing',
  confidence: 0.9,
  route: 'accepted',
  reason: 'confident',
  cached: false,
  latencyMs: 1,
  text: 'redacted text',
});

describe('parseDuration / parseSince', () => {
  it.each([
    ['90m', 90 * 60_000],
    ['24h', DAY],
    ['30d', 30 * DAY],
    ['2w', 14 * DAY],
    ['45s', 45_000],
    [' 7D ', 7 * DAY],
  ])('%s', (text, ms) => expect(parseDuration(text, '--older-than')).toBe(ms));

  it.each(['30', 'd30', '1.5d', '-3d', '0d', '30 days', '', '3y'])('rejects %j naming the flag and the forms', (text) => {
    let err: unknown;
    try {
      parseDuration(text, '--older-than');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'invalid_input', where: '--older-than', message: `${JSON.stringify(text)} is not a duration` });
    expect((err as { hint: string }).hint).toMatch(/90m, 24h, 30d/);
  });

  it('--since takes a duration back from now or a date', () => {
    expect(parseSince('24h', '--since', NOW)).toBe('2025-06-29T12:00:00.000Z');
    expect(parseSince('2025-06-01', '--since', NOW)).toBe('2025-06-01T00:00:00.000Z');
    expect(() => parseSince('2025-02-30x', '--since', NOW)).toThrow(/not a valid date/);
    expect(() => parseSince('yesterday', '--since', NOW)).toThrow(/not a duration/);
  });
});

describe('purgeEvents on a real SQLite file', () => {
  const dir = tempDir('intentops-purge-');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('deletes predictions and feedback older than the period; a dry run only counts', async () => {
    const uri = `sqlite:${join(dir, 'events.db')}`;
    const log = await openPredictionLog(uri);
    let t = NOW - 40 * DAY;
    const store = await openFeedbackStore(uri, { now: () => t });
    try {
      await log.append([record('old-1', 45), record('old-2', 31), record('edge', 30), record('new', 1)]);
      await store.add({ predictionId: 'old-2', rating: -1, source: 'ana' }); // 40 days ago
      t = NOW - 2 * DAY;
      await store.add({ predictionId: 'new', correctIntent: 'refund', source: 'ana' });

      const dry = await purgeEvents({ predictions: log, feedback: store, olderThanMs: 30 * DAY, dryRun: true, now: () => NOW });
      expect(dry).toEqual({ before: '2025-05-31T12:00:00.000Z', dryRun: true, predictions: 2, feedback: 1 });
      expect(formatPurge(dry, '30d')).toBe('would delete 2 predictions and 1 feedback record older than 30d (before 2025-05-31T12:00:00.000Z); nothing was deleted (--dry-run)');
      expect((await log.query()).length).toBe(4);

      const done = await purgeEvents({ predictions: log, feedback: store, olderThanMs: 30 * DAY, now: () => NOW });
      expect(done).toEqual({ ...dry, dryRun: false });
      expect(formatPurge(done, '30d')).toMatch(/^deleted 2 predictions and 1 feedback record older than 30d/);
      expect((await log.query()).map((r) => r.id)).toEqual(['edge', 'new']);
      expect((await store.list()).map((f) => f.predictionId)).toEqual(['new']);
      expect(await purgeEvents({ predictions: log, feedback: store, olderThanMs: 30 * DAY, now: () => NOW })).toMatchObject({ predictions: 0, feedback: 0 });
    } finally {
      await log.close();
      await store.close();
    }
  });

  it('counts through query and list when a store has no count()', async () => {
    const log = await openPredictionLog('sqlite::memory:');
    try {
      await log.append([record('a', 10), record('b', 1)]);
      const plain = { purge: log.purge.bind(log), query: log.query.bind(log) };
      expect(await purgeEvents({ predictions: plain, olderThanMs: 5 * DAY, dryRun: true, now: () => NOW })).toMatchObject({ predictions: 1, feedback: 0 });
    } finally {
      await log.close();
    }
  });

  it('refuses a non-positive period', async () => {
    expect((await rejection(purgeEvents({ olderThanMs: 0 }))).code).toBe('invalid_input');
  });
});
