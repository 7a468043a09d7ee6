import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadExamples } from '../../src/app/services/dataset.js';
import { runCliCaptured } from '../helpers/capture.js';
import { SHARED, tempDir } from '../helpers/sample.js';

const BANKING = join(SHARED, 'datasets', 'banking77');

/**
 * Out-of-scope detection end to end: `intentops train` on 30 of BANKING77's intents, then
 * `intentops eval` on the test messages of those and of 10 intents the model has never seen.
 */
describe('intents the model never saw', () => {
  const work = tempDir('intentops-open-');
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('are mostly flagged out of scope, almost never accepted, and eval reports the open-set figures', async () => {
    const train = (await loadExamples(join(BANKING, 'train.jsonl'))).examples;
    const labels = [...new Set(train.map((e) => e.label))].sort();
    const known = new Set(labels.slice(0, 30));
    const held = new Set(labels.slice(30, 40));
    const file = join(work, 'known.jsonl');
    writeFileSync(file, train.filter((e) => known.has(e.label)).map((e) => JSON.stringify({ text: e.text, label: e.label })).join('\n') + '\n');
    const testFile = join(work, 'test.jsonl');
    const test = (await loadExamples(join(BANKING, 'test.jsonl'), { keepDuplicates: true })).examples.filter((e) => known.has(e.label) || held.has(e.label));
    writeFileSync(testFile, test.map((e) => JSON.stringify({ text: e.text, label: e.label })).join('\n') + '\n');
    const env = { INTENTOPS_TRACKING_URI: `sqlite:${join(work, 'intentops.db')}` };
    const trained = await runCliCaptured(['train', '--data', file, '--out', join(work, 'm'), '--seed', '1'], env);
    expect(trained.code, trained.stderr).toBe(0);
    const evaluated = await runCliCaptured(['eval', '--model', join(work, 'm'), '--data', testFile, '--json'], env);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const r = JSON.parse(evaluated.stdout);
    expect(r.unknownLabels).toEqual([...held].sort());
    expect(r.openSet.unknownExamples).toBe(test.filter((e) => held.has(e.label)).length);
    // with the thresholds for the unknown share estimated from the test messages themselves
    // (0.25 is true): most held-back messages flagged, far fewer known ones
    const a = r.adapted;
    expect(a.unknownShare).toBeGreaterThan(0.1);
    expect(a.unknownShare).toBeLessThan(0.4);
    expect(a.openSet.unknownRecall).toBeGreaterThan(0.5);
    expect(a.openSet.knownFlagged).toBeLessThan(a.openSet.unknownRecall / 2);
    // and the precision promise: what is still accepted although a quarter of traffic is unknown stays right
    expect(a.accepted.accepted).toBeGreaterThan(0);
    expect(a.accepted.acceptedAccuracy).toBeGreaterThanOrEqual(0.95);
    // at the bundle's default share (0.1, before any traffic) fewer are flagged: the share matters
    expect(r.openSet.unknownShare).toBeCloseTo(0.1, 9);
    expect(r.openSet.unknownRecall).toBeLessThan(a.openSet.unknownRecall);
    expect(r.promise).toMatchObject({ target: 0.97 });
  }, 300_000);
});
