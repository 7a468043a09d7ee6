import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { trainModel, trainSettings } from '../container/index.js';
import { loadExamples } from './dataset.js';
import { SAMPLE_TRAIN, tempDir } from '../../../test/helpers/sample.js';

/**
 * Paraphrase groups in cross-fitting (config groupSimilarity): every sample message twice, the
 * copy differing only in punctuation (the same index vector). Grouped (the default), a held-out
 * message's copy is held out with it, as new traffic without a copy in the training data would be;
 * with the grouping off, the copy trains the model that scores it, and the held-out predictions
 * look better than they are.
 */
describe('paraphrase groups in cross-fitting (groupSimilarity)', () => {
  it('keeps copies in one fold by default; above 1 the grouping is off and held-out figures turn optimistic', async () => {
    const dir = tempDir();
    const data = join(dir, 'twice.jsonl');
    const rows = (await loadExamples(SAMPLE_TRAIN)).examples;
    writeFileSync(data, rows.flatMap((r) => [JSON.stringify({ text: r.text, label: r.label }), JSON.stringify({ text: `${r.text} ${r.text}`, label: r.label })]).join('\n') + '\n');
    const base = { data, embedder: 'hashed', seed: 3, validation: 'cv' as const };
    const grouped = await trainModel({ ...base, out: join(dir, 'grouped') });
    const c = loadConfig({ env: { INTENTOPS_GROUP_SIMILARITY: '1.01' } });
    expect(trainSettings(c).groupSimilarity).toBe(1.01);
    const apart = await trainModel({ ...base, ...trainSettings(c), data, seed: 3, validation: 'cv', out: join(dir, 'apart') });
    // the cross-fitted accuracy, and the coverage the thresholds promise on it
    const m = (r: typeof grouped) => r.manifest.metrics as { valAccuracy: number; valCoverage: number };
    expect(m(apart).valAccuracy).toBeGreaterThan(m(grouped).valAccuracy + 0.05);
    expect(m(apart).valCoverage).toBeGreaterThan(m(grouped).valCoverage + 0.1);
    expect(grouped.manifest.training.options.groupSimilarity).toBe(0.9);
    expect(apart.manifest.training.options.groupSimilarity).toBe(1.01);
    expect(loadConfig({ env: {} }).groupSimilarity).toBeUndefined();
    expect(() => loadConfig({ env: { INTENTOPS_GROUP_SIMILARITY: '1.5' } })).toThrow(/groupSimilarity/);
  });
});
