import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../errors.js';
import { parseGates } from './parse.js';

const FIX = join(import.meta.dirname, '../../../test/fixtures/gates');
const read = (f: string) => readFileSync(join(FIX, f), 'utf8');

function failure(text: string, file = 'gates.yaml'): IntentOpsError {
  try {
    parseGates(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(IntentOpsError);
    return e as IntentOpsError;
  }
  throw new Error('expected parseGates to throw');
}

describe('parseGates', () => {
  it('reads every gate kind from the example file', () => {
    const g = parseGates(read('gates.yaml'), 'gates.yaml');
    expect(g).toEqual({
      version: 1,
      minAccuracy: 0.8,
      minMacroF1: 0.8,
      minAcceptedPrecision: 0.9,
      minCoverage: 0.2,
      maxEce: 0.15,
      minIntentRecall: { default: 0.6, intents: { login_problem: 0.8 } },
      maxRegression: { accuracy: 0.04, macroF1: 0.04, acceptedPrecision: 0.05, coverage: 0.2, ece: 0.05 },
      noSignificantRegression: true,
      alpha: 0.05,
    });
  });

  it('defaults alpha to 0.05', () => {
    expect(parseGates('minAccuracy: 0.9\n', 'g.yaml').alpha).toBe(0.05);
  });

  it('names the line of a value of the wrong type', () => {
    const e = failure(read('bad-type.yaml'), 'bad-type.yaml');
    expect(e.code).toBe('invalid_config');
    expect(e.where).toBe('bad-type.yaml:4 (minAccuracy)');
    expect(e.message).toMatch(/minAccuracy: Invalid input: expected number, received string/);
  });

  it('names the line of an unknown key, nested too, and lists the valid ones', () => {
    const e = failure(read('unknown-key.yaml'), 'unknown-key.yaml');
    expect(e.where).toBe('unknown-key.yaml:4 (maxRegression.f1Macro)');
    expect(e.message).toMatch(/unknown key "f1Macro"/);
    expect(e.hint).toMatch(/valid keys under maxRegression: accuracy, macroF1, weightedF1, acceptedPrecision, coverage, ece, aurc/);
    const top = failure('minAccuracy: 0.8\n\nminAcuracy: 0.9\n');
    expect(top.where).toBe('gates.yaml:3 (minAcuracy)');
    expect(top.hint).toMatch(/^valid keys: version, minAccuracy, minMacroF1/);
  });

  it('names the line of an out-of-range rate and of a per-intent override', () => {
    expect(failure(read('out-of-range.yaml'), 'o.yaml').where).toBe('o.yaml:1 (minAccuracy)');
    const e = failure('minIntentRecall:\n  default: 0.5\n  intents:\n    refund: 0.8\n    billing: yes\n');
    expect(e.where).toBe('gates.yaml:5 (minIntentRecall.intents.billing)');
  });

  it('lists every problem, first by line', () => {
    const e = failure('minCoverage: high\nfoo: 1\nmaxEce: -1\n');
    expect(e.where).toBe('gates.yaml:1 (minCoverage)');
    expect(e.message).toContain('also gates.yaml:2 (foo): unknown key "foo"');
    expect(e.message).toContain('also gates.yaml:3 (maxEce)');
  });

  it('rejects invalid YAML, duplicate keys and a file without gates', () => {
    expect(failure('minAccuracy: [0.8\n').message).toMatch(/invalid YAML/);
    expect(failure('minAccuracy: 0.8\nminAccuracy: 0.9\n').where).toBe('gates.yaml:2');
    const empty = failure(read('empty.yaml'), 'empty.yaml');
    expect(empty.message).toBe('the gates file defines no gate');
    expect(empty.hint).toMatch(/minAccuracy/);
    expect(failure('').message).toBe('the gates file defines no gate');
    expect(failure('- 1\n- 2\n').where).toBe('gates.yaml:1 (top level)');
  });
});
