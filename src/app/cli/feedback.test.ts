import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPredictionLog } from '../../adapters/prediction-log/index.js';
import type { PredictionRecord } from '../../ports/prediction-log.js';
import { tempDir } from '../../../test/helpers/sample.js';
import { sampleModel } from '../../../test/helpers/serving.js';
import { runCliCaptured as cli } from '../../../test/helpers/capture.js';

const DAY = 86_400_000;


const record = (id: string, daysAgo: number): PredictionRecord => ({
  id,
  at: new Date(Date.now() - daysAgo * DAY).toISOString(),
  model: { name: 'sample', version: 'v' },
  variant: 'champion',
  intent: 'delivery',
  confidence: 0.6,
  route: 'accepted',
  reason: 'confident',
  cached: false,
  latencyMs: 2,
});

describe('intentops feedback / purge (SQLite file)', () => {
  const dir = tempDir('intentops-cli-feedback-');
  const env = { INTENTOPS_EVENTS_URI: `sqlite:${join(dir, 'intentops.db')}`, INTENTOPS_USER: 'ana', INTENTOPS_REGISTRY_URI: `sqlite:${join(dir, 'intentops.db')}` };
  let model: string;
  beforeAll(async () => {
    model = await sampleModel();
    const log = await openPredictionLog(env.INTENTOPS_EVENTS_URI);
    await log.append([record('p-old', 45), record('p-new', 0)]);
    await log.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('feedback give records a correction and a rating, redacts the comment, names the giver', async () => {
    const r = await cli(['feedback', 'give', '--prediction', 'p-new', '--intent', 'return_refund', '--rating', '-1', '--comment', 'Kunde: max@example.com'], env);
    expect(r).toMatchObject({ code: 0 });
    expect(r.stdout).toMatch(/prediction p-new {2}→ return_refund, rating -1 {2}by ana {2}"Kunde: \[EMAIL\]"\n$/);
    expect(r.stderr).toMatch(/not checked against a model's intents/);
    const checked = await cli(['feedback', 'give', '--prediction', 'p-old', '--intent', 'delivery', '--model', model, '--who', 'bob', '--json'], env);
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.stdout)).toMatchObject({ predictionId: 'p-old', correctIntent: 'delivery', source: 'bob' });
    expect(checked.stderr).toBe('');
  });

  it('feedback give explains what is wrong, with the documented exit codes', async () => {
    const typo = await cli(['feedback', 'give', '--prediction', 'p-new', '--intent', 'refnud', '--model', model], env);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/error: correctIntent: unknown intent "refnud"\n {2}hint: use one of the model's intents: .*delivery/);
    const missing = await cli(['feedback', 'give', '--prediction', 'nope', '--rating', '1'], env);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/prediction "nope" is not in the prediction log/);
    expect((await cli(['feedback', 'give', '--prediction', 'p-new'], env)).stderr).toMatch(/correctIntent, rating, or both/);
    const rating = await cli(['feedback', 'give', '--prediction', 'p-new', '--rating', '5'], env);
    expect(rating.code).toBe(2);
    expect(rating.stderr).toMatch(/--rating must be -1, 0 or 1, got "5"/);
    const off = await cli(['feedback', 'list'], { ...env, INTENTOPS_EVENTS_URI: 'none' });
    expect(off.code).toBe(2);
    expect(off.stderr).toMatch(/events.uri: no prediction log or feedback store: events.uri is none/);
  });

  it('feedback list: oldest first, --since, --prediction, --json', async () => {
    const all = await cli(['feedback', 'list', '--json'], env);
    const items = all.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(items.map((f: { predictionId: string }) => f.predictionId)).toEqual(['p-new', 'p-old']);
    expect((await cli(['feedback', 'list', '--prediction', 'p-old'], env)).stdout).toMatch(/^\S+ {2}\S+ {2}prediction p-old {2}→ delivery {2}by bob\n$/);
    expect((await cli(['feedback', 'list', '--since', '2099-01-01'], env)).stdout).toBe('no feedback since 2099-01-01T00:00:00.000Z\n');
    expect((await cli(['feedback', 'list', '--since', '1h'], env)).stdout.trim().split('\n')).toHaveLength(2);
    const bad = await cli(['feedback', 'list', '--since', 'last week'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since: "last week" is not a duration/);
  });

  it('purge: --dry-run counts, the default retention (events.retentionDays) deletes, a bad duration is refused', async () => {
    const dry = await cli(['purge', '--dry-run', '--older-than', '30d'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^would delete 1 prediction and 0 feedback records older than 30d \(before .*\); nothing was deleted \(--dry-run\)\n$/);
    const bad = await cli(['purge', '--older-than', '30x'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--older-than: "30x" is not a duration/);
    const done = await cli(['purge', '--json'], { ...env, INTENTOPS_RETENTION_DAYS: '40' });
    expect(JSON.parse(done.stdout)).toMatchObject({ dryRun: false, predictions: 1, feedback: 0, olderThan: '40d' });
    const log = await openPredictionLog(env.INTENTOPS_EVENTS_URI);
    try {
      expect((await log.query()).map((r) => r.id)).toEqual(['p-new']);
    } finally {
      await log.close();
    }
  });
});
