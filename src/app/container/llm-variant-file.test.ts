import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleModel } from '../../../test/helpers/serving.js';
import { loadConfig } from '../config.js';
import { startFakeLlm } from '../dev/fake-llm-server.js';
import { classifyFile } from '../services/classify-file.js';
import { openClassifyStack } from './index.js';

describe('classify-file --pipeline names the LLM variant', () => {
  const dir = mkdtempSync(join(tmpdir(), 'intentops-llm-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rows the LLM answered carry llmVariant (the prompt file\'s name when no registered variant is served), in JSONL and CSV', async () => {
    const fake = await startFakeLlm();
    const c = loadConfig({ env: {}, flags: { llm: { provider: 'openai-chat', baseUrl: fake.baseUrl, model: 'gpt-4o-mini', maxRetries: 0 }, review: { uri: 'none' }, events: { uri: 'none' }, tracking: { uri: 'none' }, cache: { uri: 'none' }, monitor: { enabled: false } } });
    const stack = await openClassifyStack(c, { modelDir: await sampleModel() });
    try {
      const input = join(dir, 'in.jsonl');
      writeFileSync(input, ['hmm ok', 'well then', 'so anyway', 'where is my parcel? tracking shows nothing'].map((text) => JSON.stringify({ text })).join('\n') + '\n');
      const output = join(dir, 'out.jsonl');
      await classifyFile({ input, output, model: 'sample', classify: async (items) => stack.classify.classifyBatch(items.map((i) => ({ id: i.id, text: i.text }))) });
      const rows = readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { route: string; llmVariant?: string });
      expect(rows.some((r) => r.route === 'llm')).toBe(true);
      for (const r of rows) expect(r.llmVariant).toBe(r.route === 'llm' ? 'classify-v1' : undefined);
      // CSV output: the same, in an llmVariant column that is empty where the LLM did not answer
      const csvOut = join(dir, 'out.csv');
      await classifyFile({ input, output: csvOut, model: 'sample', classify: async (items) => stack.classify.classifyBatch(items.map((i) => ({ id: i.id, text: i.text }))) });
      const csv = parse(readFileSync(csvOut), { columns: true }) as { route: string; llmVariant: string }[];
      expect(csv.map((r) => r.route)).toEqual(rows.map((r) => r.route));
      for (const r of csv) expect(r.llmVariant).toBe(r.route === 'llm' ? 'classify-v1' : '');
    } finally {
      await stack.close();
      await fake.close();
    }
  }, 120_000);
});
