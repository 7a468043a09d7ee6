import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_TRAIN, tempDir } from '../../../test/helpers/sample.js';
import { trainBundle } from '../../../test/helpers/trained.js';
import { readBundle } from './index.js';

describe('readBundle', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    await trainBundle({ data: SAMPLE_TRAIN, out: join(dir, 'model'), embedder: 'hashed', seed: 1 });
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the weights, bias and embedder arrays exactly as stored, each read its own memory', () => {
    const b = readBundle(join(dir, 'model'));
    const m = b.manifest;
    const raw = readFileSync(join(dir, 'model', m.classifier.weights.file));
    const stored = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    const nW = m.classifier.dim * m.classifier.classes;
    expect(b.weights.length).toBe(nW);
    expect(Buffer.from(b.weights.buffer, b.weights.byteOffset, b.weights.byteLength).equals(Buffer.from(stored.buffer, stored.byteOffset, nW * 4))).toBe(true);
    expect(Array.from(b.bias)).toEqual(Array.from(stored.subarray(nW)));
    const idf = m.embedder.arrays.idf;
    const rawIdf = readFileSync(join(dir, 'model', idf.file));
    expect(Buffer.from(b.embedderArrays.idf.buffer, b.embedderArrays.idf.byteOffset, b.embedderArrays.idf.byteLength).equals(rawIdf)).toBe(true);
    // two reads share nothing: changing one leaves the other as stored
    const again = readBundle(join(dir, 'model'));
    again.weights[0] += 1;
    expect(b.weights[0]).toBe(stored[0]);
  });

  it('still refuses a file whose checksum does not match', () => {
    const m = readBundle(join(dir, 'model')).manifest;
    const file = join(dir, 'model', m.classifier.weights.file);
    const raw = readFileSync(file);
    raw[0] ^= 1;
    writeFileSync(file, raw);
    expect(() => readBundle(join(dir, 'model'))).toThrow(/checksum mismatch/);
  });
});
