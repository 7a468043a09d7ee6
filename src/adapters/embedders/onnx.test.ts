import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IntentOpsError } from '../../core/errors.js';
import type { Embedder, PersistableEmbedder } from '../../ports/embedder.js';
import { onnxEmbedder } from './onnx.js';
import { rejection as failure } from '../../../test/helpers/sample.js';

// The repo root is three levels up; the shared model folder sits beside the repo.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MODEL = path.resolve(ROOT, '../shared/models/all-MiniLM-L6-v2-q4');
const HAVE_MODEL = existsSync(path.join(MODEL, 'onnx', 'model_q4.onnx'));

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
const norm = (a: Float32Array) => Math.sqrt(dot(a, a));
const first3 = (a: Float32Array) => Array.from(a.slice(0, 3), (x) => Number(x.toFixed(4)));

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'intentops-onnx-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A model folder holding links to some of the real model's files (no 54 MB copies). */
function partialModel(name: string, files: string[], extra: Record<string, string> = {}): string {
  const dir = path.join(tmp, name);
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    symlinkSync(path.join(MODEL, f), path.join(dir, f));
  }
  for (const [f, text] of Object.entries(extra)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  return dir;
}
const ALL = ['tokenizer.json', 'tokenizer_config.json', 'config.json', 'onnx/model_q4.onnx', 'onnx/model_q4.onnx_data'];


describe('onnx embedder: options and missing files', () => {
  it('rejects a missing modelDir option and unknown options as invalid_config', async () => {
    const missing = await failure(onnxEmbedder.create({ threads: 2 }));
    expect([missing.code, missing.where]).toEqual(['invalid_config', 'embedder.onnx.modelDir']);
    expect(missing.message).toContain('modelDir is required');
    const e = await failure(onnxEmbedder.create({ modelDir: MODEL, modeldir: 'typo' }));
    expect(e.code).toBe('invalid_config');
  });

  it('names a model folder that does not exist', async () => {
    const e = await failure(onnxEmbedder.create({ modelDir: path.join(tmp, 'nowhere') }));
    expect(e.code).toBe('not_found');
    expect(e.describe()).toContain(path.join(tmp, 'nowhere'));
    expect(e.hint).toMatch(/all-MiniLM-L6-v2-q4/);
  });

  it('names a missing tokenizer.json', async () => {
    mkdirSync(path.join(tmp, 'empty'));
    const e = await failure(onnxEmbedder.create({ modelDir: path.join(tmp, 'empty') }));
    expect(e.code).toBe('not_found');
    expect(e.message).toContain('tokenizer.json');
    expect(e.where).toBe(path.join(tmp, 'empty', 'tokenizer.json'));
  });
});

describe.skipIf(!HAVE_MODEL)('onnx embedder: missing model files (needs ../shared/models/all-MiniLM-L6-v2-q4)', () => {
  it('names the .onnx files it looked for', async () => {
    const dir = partialModel('no-onnx', ['tokenizer.json', 'config.json']);
    const e = await failure(onnxEmbedder.create({ modelDir: dir }));
    expect(e.code).toBe('not_found');
    expect(e.message).toContain('onnx/model.onnx, onnx/model_quantized.onnx, onnx/model_q4.onnx');
    const named = await failure(onnxEmbedder.create({ modelDir: dir, file: 'model_fp16.onnx' }));
    expect(named.message).toContain("'model_fp16.onnx'");
  });

  it('names the missing .onnx_data external weights on first embed', async () => {
    const dir = partialModel('no-data', ALL.slice(0, 4));
    const embedder = await onnxEmbedder.create({ modelDir: dir });
    const e = await failure(embedder.embed(['hello']));
    expect(e.code).toBe('not_found');
    expect(e.message).toContain('model_q4.onnx_data');
    expect(e.where).toBe(path.join(dir, 'onnx', 'model_q4.onnx_data'));
  });
});

describe.skipIf(!HAVE_MODEL)('onnx embedder: all-MiniLM-L6-v2-q4 (needs ../shared/models/all-MiniLM-L6-v2-q4)', () => {
  let embedder: Embedder;
  beforeAll(async () => {
    embedder = await onnxEmbedder.create({ modelDir: MODEL, batchSize: 4 });
  });

  it('reports its width from config.json', () => {
    expect(embedder.name).toBe('onnx');
    expect(embedder.dim).toBe(384);
    expect(embedder.featureDim).toBe(384);
  });

  it('matches pinned vectors, unit length, no sparse part', async () => {
    const out = await embedder.embed(['This is an example sentence', 'Each sentence is converted', 'I lost my card']);
    // shared/models/README.md gives 0.0142, 0.0556, 0.0443 for the first. ONNX Runtime's 4-bit
    // matmul kernels differ by CPU instruction set (an AMD EPYC without AVX-512 gives 0.0138,
    // 0.0551, 0.0427), so the pins hold to ±0.003 — far below the gap to the fp32 model (0.0459,
    // 0.0733, 0.0540) or to another sentence's vector
    const near = (got: Float32Array, want: number[]) => first3(got).forEach((x, i) => expect(Math.abs(x - want[i]), `dim ${i}: ${x} vs ${want[i]}`).toBeLessThanOrEqual(0.003));
    near(out[0].dense, [0.0142, 0.0556, 0.0443]);
    near(out[1].dense, [0.0614, 0.1028, -0.0155]);
    near(out[2].dense, [-0.0789, 0.0641, 0.0122]);
    for (const e of out) {
      expect(e.dense).toBeInstanceOf(Float32Array);
      expect(e.dense.length).toBe(384);
      expect(norm(e.dense)).toBeCloseTo(1, 5);
      expect(e.sparse).toBeUndefined();
    }
  });

  it('gives the same vectors batched (length-sorted, padded) as one at a time, in input order', async () => {
    const texts = [
      'Why has my transfer to another account not gone through after three days of waiting?',
      'hi',
      'I lost my card',
      'Can I top up by cash at a shop, and if so which shops accept it?',
      '',
      'what is the weather',
      'My card payment was declined.',
      'How do I change my PIN?',
      'The exchange rate applied to my purchase abroad seems wrong to me',
      'refund',
    ];
    const progress: number[] = [];
    const batched = await embedder.embed(texts, (done, total) => progress.push(done / total));
    expect(progress.at(-1)).toBe(1);
    // one report per batch; batches follow lengths (padding ≤ 10 %), at most 4 texts each
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    for (const [i, text] of texts.entries()) {
      const [single] = await embedder.embed([text]);
      for (let k = 0; k < 384; k++) expect(Math.abs(batched[i].dense[k] - single.dense[k])).toBeLessThan(1e-4);
    }
  });

  it('puts paraphrases closer than unrelated texts', async () => {
    const [lost, missing, weather] = await embedder.embed(['I lost my card', 'my card is missing', 'what is the weather']);
    expect(dot(lost.dense, missing.dense)).toBeGreaterThan(dot(lost.dense, weather.dense) + 0.2);
  });

  it('truncates to maxLength keeping [SEP] at the end', async () => {
    const short = await onnxEmbedder.create({ modelDir: MODEL, maxLength: 8 });
    const [cut] = await short.embed(['one two three four five six seven eight nine ten']);
    const [six] = await embedder.embed(['one two three four five six']);
    for (let k = 0; k < 384; k++) expect(Math.abs(cut.dense[k] - six.dense[k])).toBeLessThan(1e-5);
  });

  it('saves its config and restores from a moved folder with the same vectors', async () => {
    const texts = ['I lost my card', 'How do I change my PIN?'];
    const before = await embedder.embed(texts);
    const state = (embedder as PersistableEmbedder).state();
    expect(state).toEqual({
      name: 'onnx',
      config: {
        modelDir: MODEL,
        file: 'onnx/model_q4.onnx',
        pooling: 'mean',
        maxLength: 512,
        dim: 384,
        modelSha256: 'e4dcb918111189b7686147e309379832fce83d4ecbf17c395961749b5788c786',
        normalize: true,
      },
      arrays: {},
    });
    const moved = partialModel('moved', ALL);
    const saved = JSON.parse(JSON.stringify(state));
    const restored = await onnxEmbedder.restore(saved, { modelDir: moved, threads: 1 });
    expect((restored as PersistableEmbedder).state().config.modelDir).toBe(moved);
    const after = await restored.embed(texts);
    expect(after.map((e) => Array.from(e.dense))).toEqual(before.map((e) => Array.from(e.dense)));
  });

  it('refuses a model file that differs from the bundle', async () => {
    const state = (embedder as PersistableEmbedder).state();
    const tampered = { ...state, config: { ...state.config, modelSha256: '0'.repeat(64) } };
    const restored = await onnxEmbedder.restore(tampered);
    expect((await failure(restored.embed(['hi']))).code).toBe('corrupt');
  });

  it('reads cls pooling from 1_Pooling/config.json', async () => {
    const dir = partialModel('cls', ALL, { '1_Pooling/config.json': '{"pooling_mode_cls_token": true}' });
    const cls = await onnxEmbedder.create({ modelDir: dir });
    expect((cls as PersistableEmbedder).state().config.pooling).toBe('cls');
    const [a] = await cls.embed(['I lost my card']);
    const [b] = await embedder.embed(['I lost my card']);
    expect(norm(a.dense)).toBeCloseTo(1, 5);
    expect(dot(a.dense, b.dense)).toBeLessThan(0.999);
  });

  it('measures its width by running the model when config.json is absent', async () => {
    const dir = partialModel('no-config', ALL.filter((f) => f !== 'config.json'));
    const probed = await onnxEmbedder.create({ modelDir: dir });
    expect(probed.dim).toBe(384);
  });
});

describe.skipIf(!HAVE_MODEL)('onnx embedder: broken runtime (needs ../shared/models/all-MiniLM-L6-v2-q4)', () => {
  it('reports a native module that fails to load as unavailable, with an install hint', async () => {
    vi.resetModules();
    vi.doMock('onnxruntime-node', () => {
      throw new Error('libonnxruntime.so.1: cannot open shared object file');
    });
    try {
      const fresh = await import('./onnx.js');
      const freshErrors = await import('../../core/errors.js'); // same module graph as `fresh`
      const embedder = await fresh.onnxEmbedder.create({ modelDir: MODEL });
      const e = (await embedder.embed(['hi']).catch((err: unknown) => err)) as IntentOpsError;
      expect(e).toBeInstanceOf(freshErrors.IntentOpsError);
      expect(e.code).toBe('unavailable');
      expect(e.message).toMatch(/^cannot load onnxruntime-node: /); // vitest rewraps the thrown text
      expect(e.hint).toContain('npm install onnxruntime-node');
    } finally {
      vi.doUnmock('onnxruntime-node');
      vi.resetModules();
    }
  });
});

describe('packBatches', () => {
  it('closes a batch when full or when padding would pass 10 % of its tokens', async () => {
    const { packBatches } = await import('./onnx.js');
    const lens = [5, 5, 5, 6, 10, 10, 10, 10, 30];
    const order = lens.map((_, i) => i);
    expect(packBatches(order, (i) => lens[i], 3)).toEqual([[0, 1, 2], [3], [4, 5, 6], [7], [8]]);
    // 6 after three 5s would pad 3 tokens on 21 (> 10 %)
    expect(packBatches(order, (i) => lens[i], 100)).toEqual([[0, 1, 2], [3], [4, 5, 6, 7], [8]]);
    expect(packBatches([], () => 1, 4)).toEqual([]);
  });
});
