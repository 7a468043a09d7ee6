#!/usr/bin/env node
// Sums up a cost log written by test/helpers/cost.ts (INTENTOPS_TEST_COST=FILE npx vitest run):
//   node scripts/test-cost.mjs FILE [N]   totals, the N costliest files (default 25), by folder
import { readFileSync } from 'node:fs';

const [file, n = '25'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/test-cost.mjs COST.jsonl [N]  (write COST.jsonl with INTENTOPS_TEST_COST=COST.jsonl npx vitest run)');
  process.exit(2);
}
const rows = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l, i) => {
  try {
    return JSON.parse(l);
  } catch {
    console.error(`${file}:${i + 1}: not a JSON line of test/helpers/cost.ts`);
    process.exit(1);
  }
});
const cost = (r) => r.self + r.children;
const sum = (rs, f) => rs.reduce((s, r) => s + f(r), 0);
const cli = (r) => r.spawns.filter((s) => /dist\/(cli\.mjs|app\/cli\/main\.js)/.test(s)).length;
const threads = (r) => r.spawns.filter((s) => s.startsWith('thread ')).length;
console.log(`${rows.length} files: ${sum(rows, cost).toFixed(0)} CPU-s (workers ${sum(rows, (r) => r.self).toFixed(0)}, their children ${sum(rows, (r) => r.children).toFixed(0)}); ${sum(rows, (r) => r.spawns.length - threads(r))} processes started, ${sum(rows, cli)} of them the CLI; ${sum(rows, threads)} threads`);
const trainings = rows.flatMap((r) => r.trainings ?? []);
if (trainings.length) {
  const own = trainings.filter((t) => t.trained);
  console.log(`shared trained bundles (test/helpers/trained.ts): ${trainings.length} asked for, ${own.length} trained (${sum(own, (t) => t.cpu).toFixed(0)} CPU-s in the workers), the rest copied or waited for`);
}
console.log('\n CPU-s  worker children  wall s  procs threads  file');
for (const r of [...rows].sort((a, b) => cost(b) - cost(a)).slice(0, Number(n))) {
  console.log(`${cost(r).toFixed(1).padStart(6)} ${r.self.toFixed(1).padStart(7)} ${r.children.toFixed(1).padStart(8)} ${r.wall.toFixed(0).padStart(7)} ${String(r.spawns.length - threads(r)).padStart(6)} ${String(threads(r)).padStart(7)}  ${r.file}`);
}
const byDir = new Map();
for (const r of rows) {
  const d = r.file.split('/').slice(0, 2).join('/');
  const e = byDir.get(d) ?? { files: 0, cpu: 0 };
  e.files++;
  e.cpu += cost(r);
  byDir.set(d, e);
}
console.log('\n CPU-s  files  folder');
for (const [d, e] of [...byDir].sort((a, b) => b[1].cpu - a[1].cpu)) console.log(`${e.cpu.toFixed(0).padStart(6)} ${String(e.files).padStart(6)}  ${d}`);
