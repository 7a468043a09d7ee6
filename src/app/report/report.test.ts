import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ScriptedClassifier, type Scripted } from '../../../test/fixtures/gates/scripted-classifier.js';
import { tempDir } from '../../../test/helpers/sample.js';
import { evaluateGates, gatesSchema } from '../../core/gates/index.js';
import { evaluatePair, type EvaluationReport } from '../services/evaluate.js';
import type { Comparison } from '../../core/eval/compare.js';
import { escapeHtml, mdCell } from './escape.js';
import { renderHtml, renderJson, renderMarkdown, writeReportFile } from './index.js';

// Hostile names and messages: every renderer must escape them.
const EVIL = '<b>bill|ing</b>';
const OTHER = 'refund & "returns"';
const MESSAGE = `<script>alert('x')</script> | **bold** [link](javascript:x)`;

let a: EvaluationReport;
let b: EvaluationReport;
let comparison: Comparison;

beforeAll(async () => {
  const examples = Array.from({ length: 40 }, (_, i) => ({ text: i === 0 ? MESSAGE : `message ${i}`, label: i % 2 ? OTHER : EVIL }));
  const wrong = (l: string) => (l === EVIL ? OTHER : EVIL);
  const script = (errors: (i: number) => boolean) =>
    new Map<string, Scripted>(examples.map((e, i) => [e.text, { intent: errors(i) ? wrong(e.label) : e.label, confidence: 0.99 - i / 50, accepted: i < 25 }]));
  const old = new ScriptedClassifier([EVIL, OTHER], script((i) => i % 4 === 0), 'old <model>');
  const next = new ScriptedClassifier([EVIL, OTHER], script((i) => i === 0), 'new & improved');
  ({ a, b, comparison } = await evaluatePair(old, next, examples));
});

/** Cells of a Markdown table row, splitting on unescaped pipes. */
const cells = (row: string) => row.split(/(?<!\\)\|/).slice(1, -1);

describe('escaping', () => {
  it('escapes HTML and Markdown metacharacters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(mdCell('a|b\n<c> *d*')).toBe('a\\|b \\<c\\> \\*d\\*');
    expect(mdCell('x'.repeat(10), 5)).toBe('xxxx…');
  });
});

describe('renderHtml', () => {
  it('draws the charts as inline SVG and escapes every text', () => {
    const html = renderHtml({ report: b });
    for (const id of ['chart-risk-coverage', 'chart-reliability', 'chart-f1', 'chart-confusions']) expect(html).toContain(`<svg id="${id}"`);
    expect(html).not.toContain('chart-compare-f1');
    expect(html).not.toMatch(/<script|https?:\/\/|src=|href=|@import|url\(/i);
    expect(html).toContain('&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;');
    expect(html).toContain('&lt;b&gt;bill|ing&lt;/b&gt;');
    expect(html).toContain('refund &amp; &quot;returns&quot;');
    expect(html).toContain('new &amp; improved');
    expect(html).toContain(`default-src 'none'`);
    expect(html).toMatch(/Assumption: Every message not accepted/);
    expect(html).toMatch(/Method: Test messages were classified in \d+ sequential batches/);
  });

  it('adds the comparison, the baseline curve and gate results when given', () => {
    const gates = evaluateGates(gatesSchema.parse({ minAccuracy: 0.99, noSignificantRegression: true }), b, a);
    const html = renderHtml({ report: b, baseline: a, comparison, gates });
    expect(html).toContain('<svg id="chart-compare-f1"');
    expect(html).toContain('old &lt;model&gt; (baseline)');
    expect(html).toContain(escapeHtml(comparison.verdict));
    expect(html).toMatch(/<section id="gates">.*Quality gates failed/s);
    expect(html).toContain('<span class="fail">FAIL</span>');
    expect(html).toContain(escapeHtml(gates.failed[0].message));
  });
});

describe('renderMarkdown', () => {
  it('has a well-formed headline table and escaped texts', () => {
    const md = renderMarkdown({ report: b });
    const lines = md.split('\n');
    const head = lines.indexOf('| metric | value |');
    expect(head).toBeGreaterThan(0);
    expect(lines[head + 1]).toBe('|:---|---:|');
    expect(lines.slice(head + 2, head + 9).map((l) => cells(l)[0].trim())).toEqual(['accuracy', 'macro-F1', 'weighted-F1', 'accepted precision', 'coverage', 'ECE', 'AURC']);
    for (const l of lines.filter((x) => x.startsWith('|'))) {
      const table = lines.slice(0, lines.indexOf(l) + 1).reverse().find((x, i, arr) => x.startsWith('|') && !arr[i + 1]?.startsWith('|'))!;
      expect(cells(l).length, l).toBe(cells(table).length);
    }
    expect(md).toContain('\\<b\\>bill\\|ing\\</b\\>');
    expect(md).not.toMatch(/(?<!\\)<(script|b>)/);
    expect(md).toMatch(/Worst intents \(by F1\)/);
    expect(md).toMatch(/Projected LLM fallback:\*\* \d+ calls per 1,000 messages/);
  });

  it('shows the comparison verdict and gate results', () => {
    const gates = evaluateGates(gatesSchema.parse({ minAccuracy: 0.9, maxEce: 0.001 }), b, a);
    const md = renderMarkdown({ report: b, comparison, gates });
    expect(md).toContain('#### Quality gates: ❌ failed');
    expect(md).toMatch(/\| ❌ \| maxEce \| \d\.\d{4} \| 0\.0010 \| ECE .* is above the maximum 0\.001 \|/);
    expect(md).toMatch(/\| ✅ \| minAccuracy \|/);
    expect(md).toContain('| metric | A (old \\<model\\>) | B (new \\& improved) | B − A |');
    expect(md).toContain(`**${mdCell(comparison.verdict, 300)}**`);
  });
});

describe('renderJson and writeReportFile', () => {
  it('keeps the report at the top level and adds comparison and gates', () => {
    const plain = JSON.parse(renderJson({ report: b }));
    expect(plain).toEqual(JSON.parse(JSON.stringify(b)));
    const gates = evaluateGates(gatesSchema.parse({ minAccuracy: 0.5 }), b);
    const full = JSON.parse(renderJson({ report: b, comparison, gates }));
    expect(full.accuracy).toBe(b.accuracy);
    expect(full.comparison.verdict).toBe(comparison.verdict);
    expect(full.gates.passed).toBe(true);
  });

  it('writes atomically and fails with the path when the directory is missing', () => {
    const dir = tempDir();
    writeReportFile(join(dir, 'r.md'), 'hello');
    expect(readFileSync(join(dir, 'r.md'), 'utf8')).toBe('hello');
    expect(() => writeReportFile(join(dir, 'nope', 'r.md'), 'x')).toThrow(/cannot write .*nope\/r\.md/);
  });
});
