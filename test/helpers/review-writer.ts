/**
 * Test helper run as a child process: adds review items to the SQLite store at argv[2] as fast
 * as it can, forever, printing "STARTED" after the first few and "COMMITTED n" as it goes, so
 * the test can SIGKILL it mid-batch and check what survives.
 */
import { openSqliteReviewStore } from '../../src/adapters/review-store/index.js';

const [file] = process.argv.slice(2);
const store = await openSqliteReviewStore(file);
// big rows span several pages, so a kill can land in the middle of writing one
const filler = 'x'.repeat(20_000);
const alternatives = Array.from({ length: 50 }, (_, k) => ({ intent: `intent-${k}`, score: 1 / (k + 2) }));

for (let i = 0; ; i++) {
  await store.add({ text: `item ${i} ${filler} end ${i}`, guess: 'intent-0', confidence: 0.5, alternatives, reason: 'low_confidence', model: { name: 'crash', version: '1' }, requestId: `req-${i}` });
  if (i % 25 === 0) process.stdout.write(`COMMITTED ${i + 1}\n`);
  if (i === 30) process.stdout.write('STARTED\n');
}
