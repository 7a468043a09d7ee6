import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../core/dataset/prng.js';
import type { FittableEmbedder } from '../../ports/embedder.js';
import { HASHED_DEFAULTS, hashedEmbedder, project, type HashedEmbedder } from './hashed.js';
import { FeatureCounter } from './hashed-counter.js';
import { countFeatures, type HashedFeatureOptions } from './hashed-features.js';

const TEXTS = [
  '',
  '   ',
  'Reset my password',
  "I can't log in: it's been 3 DAYS!!!",
  "rock'n'roll isn't it's9 o'clock abc' 'quoted' don''t",
  'card_payment-failed@2024/01/02 #refund $5.00',
  'Why do I see an extra £1 charge on my statement?',
  'Ich kann mich nicht einloggen — Passwort vergessen',
  'Où est ma carte ? J’ai payé deux fois',
  'ﬁnancial ＦＵＬＬＷＩＤＴＨ İstanbul ß',
  '我的卡被吞了 😀 emoji 👍🏽 test',
  'a',
  'AB',
  'x'.repeat(3000),
  Array.from({ length: 400 }, (_, i) => `word${i} token${i % 7}`).join(' '),
];

/** Random strings over an alphabet rich in the scanner's edge cases. */
function fuzz(n: number, seed: number, alphabet: string): string[] {
  const rnd = mulberry32(seed);
  const chars = [...alphabet];
  return Array.from({ length: n }, () => Array.from({ length: Math.floor(rnd() * 80) }, () => chars[Math.floor(rnd() * chars.length)]).join(''));
}
const ASCII = "abcXYZ019 '''-_.,!?\t\n\"`@[]{}~";
const MIXED = ASCII + 'éÉ’ßİıﬁ０Ａ£€😀中\u0301\u00a0';

function viaMaps(text: string, o: HashedFeatureOptions): [number, number][] {
  const words = new Map<number, number>();
  const chars = new Map<number, number>();
  countFeatures(text, o, words, chars);
  return [...words, ...chars];
}

function viaCounter(c: FeatureCounter, text: string): [number, number][] {
  c.run(text);
  const out: [number, number][] = [];
  for (let i = 0; i < c.nWords; i++) out.push([c.key(c.words[i]), c.count(c.words[i])]);
  for (let i = 0; i < c.nChars; i++) out.push([c.key(c.chars[i]), c.count(c.chars[i])]);
  return out;
}

describe('FeatureCounter', () => {
  const configs: HashedFeatureOptions[] = [HASHED_DEFAULTS, { bits: 10, charMin: 1, charMax: 3, wordBigrams: false }, { bits: 12, charMin: 3, charMax: 8, wordBigrams: true }];

  it('counts exactly what the Map version counts, in the same order, on tricky and random texts', () => {
    const texts = [...TEXTS, ...fuzz(1500, 1, ASCII), ...fuzz(1500, 2, MIXED)];
    for (const o of configs) {
      const c = new FeatureCounter(o);
      for (const t of texts) expect(viaCounter(c, t)).toEqual(viaMaps(t, o));
    }
  });

  it('starts empty for every text (the generation stamp), however the previous one grew the table', () => {
    const c = new FeatureCounter(HASHED_DEFAULTS);
    expect(viaCounter(c, TEXTS[14]).length).toBeGreaterThan(1000);
    expect(viaCounter(c, 'ab')).toEqual(viaMaps('ab', HASHED_DEFAULTS));
    expect(viaCounter(c, '')).toEqual([]);
  });
});

/** The embedding as the Map-based embedder computed it (before FeatureCounter). */
function referenceEmbedding(text: string, idf: Float32Array, o = HASHED_DEFAULTS) {
  const words = new Map<number, number>();
  const chars = new Map<number, number>();
  countFeatures(text, o, words, chars);
  const indices = new Int32Array(words.size + chars.size);
  const values = new Float32Array(indices.length);
  let p = 0;
  const block = (m: Map<number, number>, weight: number) => {
    const start = p;
    let ss = 0;
    for (const [k, c] of m) {
      const v = (1 + Math.log(c)) * idf[k];
      indices[p] = k;
      values[p++] = v;
      ss += v * v;
    }
    const s = ss > 0 ? weight / Math.sqrt(ss) : 0;
    for (let i = start; i < p; i++) values[i] *= s;
  };
  block(words, o.wordWeight);
  block(chars, Math.sqrt(1 - o.wordWeight * o.wordWeight));
  return { indices, values };
}

/** The sign-hashed projection as first written (a branch and a modulo per entry). */
function referenceProject(v: { indices: Int32Array; values: Float32Array }, d: number): Float32Array {
  const out = new Float32Array(d);
  for (let i = 0; i < v.indices.length; i++) {
    const h = Math.imul(v.indices[i] + 1, 0x9e3779b1) >>> 0;
    const sign = h & 0x80000000 ? -1 : 1;
    out[(h >>> 7) % d] += sign * v.values[i];
  }
  let ss = 0;
  for (let i = 0; i < d; i++) ss += out[i] * out[i];
  if (ss > 0) {
    const s = 1 / Math.sqrt(ss);
    for (let i = 0; i < d; i++) out[i] *= s;
  }
  return out;
}

describe('hashed embedder', () => {
  const corpus = [...TEXTS, ...fuzz(300, 3, MIXED), 'reset password', 'password reset please', 'card declined'];

  it('fits smooth IDF and embeds bit-identically to the Map-based reference', async () => {
    const e = (await hashedEmbedder.create({})) as HashedEmbedder & FittableEmbedder;
    await e.fit(corpus);
    const idf = e.state().arrays.idf;
    const df = new Float64Array(idf.length);
    for (const t of corpus) for (const [k] of viaMaps(t, HASHED_DEFAULTS)) df[k]++;
    for (const k of [0, 5, ...viaMaps('password reset', HASHED_DEFAULTS).map(([k]) => k)]) {
      expect(idf[k]).toBe(Math.fround(Math.log((1 + corpus.length) / (1 + df[k])) + 1));
    }
    const got = await e.embed(corpus);
    corpus.forEach((t, i) => {
      const want = referenceEmbedding(t, idf);
      expect(Array.from(got[i].sparse!.indices)).toEqual(Array.from(want.indices));
      expect(Array.from(got[i].sparse!.values)).toEqual(Array.from(want.values));
    });
  });

  it('projects exactly as the original code did, for power-of-two and other sizes', async () => {
    const e = (await hashedEmbedder.create({})) as HashedEmbedder;
    for (const v of await e.embed(corpus)) {
      for (const d of [256, 100, 16]) expect(Array.from(project(v.sparse!, d))).toEqual(Array.from(referenceProject(v.sparse!, d)));
    }
  });

  it('computes the dense projection on first access: unit length, stable, equal to project()', async () => {
    const e = (await hashedEmbedder.create({ denseDim: 100 })) as HashedEmbedder;
    const [a, b] = await e.embed(['where is my card', 'where is my card']);
    expect(a.dense).toBe(a.dense);
    expect(a.dense.length).toBe(100);
    expect(Array.from(a.dense)).toEqual(Array.from(project(a.sparse!, 100)));
    expect(Array.from(b.dense)).toEqual(Array.from(a.dense));
    expect(a.dense.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 5);
    const [empty] = await e.embed(['!!!']);
    expect(empty.sparse!.indices.length).toBe(0);
    expect(Array.from(empty.dense).every((x) => x === 0)).toBe(true);
  });

  it('gives every embedding and projection its own memory (views into shared slabs never overlap)', async () => {
    const e = (await hashedEmbedder.create({})) as HashedEmbedder;
    const texts = fuzz(2000, 4, ASCII);
    const first = await e.embed(texts);
    const copies = first.map((x) => [Array.from(x.sparse!.indices), Array.from(x.sparse!.values)]);
    // projections taken between embeddings, and afterwards, fill the slabs up to their edges
    const later = [];
    for (const [i, t] of fuzz(2000, 5, ASCII).entries()) {
      later.push(e.embedOne(t));
      if (i % 3 === 0) void first[i].dense;
    }
    const dense = first.map((x) => Array.from(x.dense));
    later.forEach((x) => void x.dense);
    first.forEach((x, i) => {
      expect([Array.from(x.sparse!.indices), Array.from(x.sparse!.values)]).toEqual(copies[i]);
      expect(Array.from(x.dense)).toEqual(dense[i]);
      expect(Array.from(x.dense)).toEqual(Array.from(referenceProject({ indices: Int32Array.from(copies[i][0]), values: Float32Array.from(copies[i][1]) }, 256)));
    });
  });
});
