import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainBundle } from '../../../test/helpers/trained.js';
import { tempDir } from '../../../test/helpers/sample.js';

/**
 * Four intents of varied messages, and one whose 60 examples are a single group of near-identical
 * paraphrases: more than the neighbour searches' fixed depths (35 for a held-out message, 50 for a
 * left-out intent's), so those searches find only the group itself.
 */
function data(dir: string): string {
  const topics: Record<string, string[]> = {
    delivery: ['parcel', 'package', 'courier', 'shipment', 'tracking', 'delivery'],
    refund: ['refund', 'money back', 'return', 'reimburse', 'credit', 'chargeback'],
    login: ['password', 'login', 'sign in', 'account locked', 'two factor', 'username'],
    invoice: ['invoice', 'receipt', 'billing address', 'VAT', 'tax number', 'bill'],
  };
  const frames = ['where is my {}', 'I have a question about the {}', 'help with {} please', 'problem with my {} today', 'can you check the {} for me', 'nobody answers about the {}', 'what happened to the {}', 'I need the {} sorted'];
  const rows = ['text,label'];
  for (const [label, words] of Object.entries(topics)) for (const w of words) for (const f of frames) rows.push(`${f.replace('{}', w)},${label}`);
  for (let i = 0; i < 60; i++) rows.push(`my new bank card still has not arrived in the post order ${1000 + i},card_arrival`);
  const file = join(dir, 'train.csv');
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

describe('the novelty fit', () => {
  it('tries the nearest-example feature when a paraphrase group fills a message\'s whole neighbour search', async () => {
    const dir = tempDir('intentops-novelty-fit-');
    const r = await trainBundle({ data: data(dir), out: join(dir, 'model'), embedder: 'hashed', seed: 1 });
    // every in-scope and left-out message has a nearest example outside its own fold or intent, as
    // serving finds one: the feature is a candidate (with a fixed depth some had none, and it was not)
    expect(r.manifest.novelty?.candidates?.map((c) => c.features)).toEqual(['confidence', 'confidence+neighbour']);
  });
});
