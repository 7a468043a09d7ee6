import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { rejection, SAMPLE_TEST, tempDir } from '../../../test/helpers/sample.js';
import { sampleModel } from '../../../test/helpers/serving.js';
import { loadConfig } from '../config.js';
import { openModel } from '../container/index.js';
import { checkpointPath, readCheckpoint } from './classify-file-checkpoint.js';
import { classifyFile, type BatchClassify, type ClassifyFileRequest } from './classify-file.js';
import type { IntentModel } from '../classify/model.js';

let model: IntentModel;
let classify: BatchClassify;
beforeAll(async () => {
  model = await openModel(await sampleModel(), loadConfig({ env: {} }));
  classify = async (items) => model.classify(items.map((i) => i.text), { neighbours: 0 });
});

/** The real model, failing on its `n`-th call as a crash would stop the run. */
function crashingOn(n: number): BatchClassify {
  let calls = 0;
  return async (items) => {
    if (++calls === n) throw new Error('simulated crash');
    return classify(items);
  };
}

/** A JSONL input of `n` sample messages with a few bad rows among them. */
function jsonlInput(n: number): string {
  const texts = (parse(readFileSync(SAMPLE_TEST), { columns: true }) as { text: string }[]).map((r) => r.text);
  const lines = Array.from({ length: n }, (_, i) => (i % 37 === 5 ? JSON.stringify({ id: `t${i}`, text: '' }) : i % 53 === 7 ? '{broken' : JSON.stringify({ id: `t${i}`, text: texts[i % texts.length] })));
  const path = join(tempDir(), 'in.jsonl');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

const run = (input: string, output: string, over: Partial<ClassifyFileRequest> = {}) => classifyFile({ input, output, model: 'sample', classify, batchSize: 10, checkpointRows: 30, checkpointMs: 60_000, ...over });

describe('classifyFile', () => {
  it('writes one row per input record, in order, with the model answer or an error naming file:line', async () => {
    const input = jsonlInput(120);
    const out = join(tempDir(), 'out.jsonl');
    const r = await run(input, out, { includeText: true });
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(120);
    expect(rows.map((x) => x.line)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    const errors = rows.filter((x) => x.route === 'error');
    expect(r).toMatchObject({ rows: 120, errors: errors.length, classified: 120 - errors.length });
    expect(errors.find((x) => x.id === 't5')).toEqual({ id: 't5', line: 6, text: null, intent: null, confidence: null, route: 'error', reason: 'empty_text', outOfScope: null, error: `${input}:6: text is empty` });
    expect(errors.find((x) => x.line === 8)).toMatchObject({ id: '8', reason: 'invalid_json', error: expect.stringMatching(new RegExp(`^${input}:8: invalid JSON`)) });
    const ok = rows.filter((x) => x.route !== 'error');
    const direct = await model.classify(ok.map((x) => x.text), { neighbours: 0 });
    expect(ok.map((x) => [x.intent, x.confidence, x.route, x.reason])).toEqual(direct.map((p) => [p.intent, p.confidence, p.route, p.reason]));
    expect(existsSync(checkpointPath(out))).toBe(false);
  });

  it('CSV in, CSV out: header, quoting, ids from the id column', async () => {
    const input = join(tempDir(), 'in.csv');
    writeFileSync(input, 'ticket;text\nT-1;"Where is my parcel; it was due Monday"\nT-2;\nT-3;"Ich kann mich nicht einloggen,\nPasswort falsch"\n');
    const out = join(tempDir(), 'out.csv');
    await run(input, out, { idCol: 'ticket', includeText: true });
    const rows = parse(readFileSync(out), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0])).toEqual(['id', 'line', 'text', 'intent', 'confidence', 'route', 'reason', 'outOfScope', 'llmVariant', 'error']);
    expect(rows.map((x) => [x.id, x.line, x.route === 'error' ? x.reason : x.intent])).toEqual([
      ['T-1', '2', 'delivery'],
      ['T-2', '3', 'empty_text'],
      ['T-3', '4', 'login_problem'],
    ]);
    expect(rows[1].error).toBe(`${input}:3: text is empty`);
    expect(rows[2].text).toBe('Ich kann mich nicht einloggen,\nPasswort falsch');
  });

  it.each(['jsonl', 'csv'])('resumes after a crash with no duplicate and no gap (output %s)', async (fmt) => {
    const input = jsonlInput(200);
    const whole = join(tempDir(), `whole.${fmt}`);
    await run(input, whole);
    const out = join(tempDir(), `out.${fmt}`);
    // batch 7 fails: 60 rows are written, the checkpoint (every 30 rows) says 60… then batch 10 of the rerun fails at 90+
    await expect(run(input, out, { classify: crashingOn(7) })).rejects.toThrow('simulated crash');
    const cp = readCheckpoint(out)!;
    expect(cp.rows).toBe(60);
    expect(statSync(out).size).toBe(cp.outputBytes);
    // a crash between writing rows and checkpointing them: rows 61-70 are on disk but not in the checkpoint
    await expect(run(input, out, { classify: crashingOn(2), checkpointRows: 1000 })).rejects.toThrow('simulated crash');
    expect(statSync(out).size).toBeGreaterThan(cp.outputBytes);
    expect(readCheckpoint(out)!.rows).toBe(60);
    const r = await run(input, out);
    expect(r.resumedAfterLine).toBe(60);
    expect(r.rows).toBe(200);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(whole, 'utf8'));
    expect(existsSync(checkpointPath(out))).toBe(false);
  });

  it('refuses to resume another run, starts over with restart, and notices a damaged output or checkpoint', async () => {
    const input = jsonlInput(100);
    const whole = join(tempDir(), 'whole.jsonl');
    await run(input, whole);
    const out = join(tempDir(), 'out.jsonl');
    await expect(run(input, out, { classify: crashingOn(5) })).rejects.toThrow('simulated crash');

    const other = await rejection(run(input, out, { model: 'another-model', includeText: true }));
    expect(other.code).toBe('invalid_input');
    expect(other.message).toMatch(/belongs to a different run: includeText \(false then, true now\), model \("sample" then, "another-model" now\)/);
    expect(other.hint).toMatch(/--restart/);

    const size = readCheckpoint(out)!.outputBytes;
    truncateSync(out, size - 1);
    const cut = await rejection(run(input, out));
    expect(cut.code).toBe('corrupt');
    expect(cut.message).toMatch(/its checkpoint says \d+ bytes were written/);

    writeFileSync(checkpointPath(out), '{"version":1,');
    expect((await rejection(run(input, out))).code).toBe('corrupt');

    const r = await run(input, out, { restart: true });
    expect(r.resumedAfterLine).toBeUndefined();
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(whole, 'utf8'));
  });

  it('fails clearly on a missing input, IN = OUT, a missing output directory and a JSON array', async () => {
    const dir = tempDir();
    const missing = await rejection(run(join(dir, 'nope.csv'), join(dir, 'out.jsonl')));
    expect(missing.code).toBe('not_found');
    expect(missing.message).toBe(`no such file: ${join(dir, 'nope.csv')}`);
    const input = jsonlInput(3);
    expect((await rejection(run(input, input))).message).toMatch(/IN and OUT are the same file/);
    expect((await rejection(run(input, join(dir, 'no', 'such', 'out.jsonl')))).code).toBe('not_found');
    writeFileSync(join(dir, 'a.json'), '[]');
    expect((await rejection(run(join(dir, 'a.json'), join(dir, 'out.jsonl')))).hint).toMatch(/jq -c/);
  });
});
