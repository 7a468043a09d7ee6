import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { IntentOpsError } from '../errors.js';
import { gatesSchema, type Gates } from './schema.js';

/*
 * Parsing a gates file: YAML → zod, with every error pointing at its line. Pure: the caller reads
 * the file and passes its text and name.
 */

type Path = (string | number)[];

/** Line (1-based) of the node at `path`, or of the key `key` inside the map at `path`. */
function lineOf(doc: Document, lc: LineCounter, path: Path, key?: string): number | undefined {
  const node = path.length ? doc.getIn(path, true) : doc.contents;
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    const r = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
    if (r) return lc.linePos(r[0]).line;
  }
  const r = (node as { range?: [number, number, number] } | null | undefined)?.range;
  if (r) return lc.linePos(r[0]).line;
  return path.length ? lineOf(doc, lc, path.slice(0, -1)) : undefined;
}

/** Keys the schema accepts at `path` (for the hint after an unknown key). */
function keysAt(path: Path): string[] {
  let s: unknown = gatesSchema;
  for (const p of path) {
    while ((s as z.ZodOptional)?.def?.innerType) s = (s as z.ZodOptional).def.innerType;
    const shape = (s as z.ZodObject)?.shape as Record<string, unknown> | undefined;
    if (!shape) return [];
    s = shape[String(p)];
  }
  while ((s as z.ZodOptional)?.def?.innerType) s = (s as z.ZodOptional).def.innerType;
  return Object.keys(((s as z.ZodObject)?.shape as Record<string, unknown> | undefined) ?? {});
}

interface Problem {
  readonly line: number | undefined;
  readonly field: string;
  readonly message: string;
  readonly hint: string;
}

/**
 * Validates the text of a gates file; throws an `invalid_config` error whose `where` is
 * `file:line (field)` of the first problem (all problems are listed in the message).
 *
 * @example
 * parseGates('minAccuracy: 0.85\nmaxRegression: {accuracy: 0.005}\n', 'gates.yaml').minAccuracy // 0.85
 */
export function parseGates(text: string, file: string): Gates {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const line = lc.linePos(e.pos[0]).line;
    throw new IntentOpsError('invalid_config', `invalid YAML: ${e.message.split('\n')[0]}`, { where: `${file}:${line}`, hint: 'fix the YAML syntax' });
  }
  const tree: unknown = doc.toJS() ?? {};
  const parsed = gatesSchema.safeParse(tree);
  if (!parsed.success) {
    const problems: Problem[] = parsed.error.issues.flatMap((issue): Problem[] => {
      const path = issue.path as Path;
      if (issue.code === 'unrecognized_keys') {
        const valid = keysAt(path);
        return issue.keys.map((k) => ({
          line: lineOf(doc, lc, path, k),
          field: [...path, k].join('.'),
          message: `unknown key "${k}"`,
          hint: valid.length ? `valid keys${path.length ? ` under ${path.join('.')}` : ''}: ${valid.join(', ')}` : 'remove it',
        }));
      }
      return [{ line: lineOf(doc, lc, path), field: path.join('.') || 'top level', message: issue.message, hint: 'rates are fractions in [0, 1], e.g. minAccuracy: 0.85' }];
    });
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    const at = (p: Problem) => `${file}${p.line ? `:${p.line}` : ''} (${p.field})`;
    const [first] = problems;
    const more = problems.slice(1).map((p) => `\n  also ${at(p)}: ${p.message}`).join('');
    throw new IntentOpsError('invalid_config', `${first.field}: ${first.message}${more}`, { where: at(first), hint: first.hint });
  }
  const g = parsed.data;
  const defined = Object.entries(g).filter(([k, v]) => k !== 'version' && k !== 'alpha' && v !== undefined && !(typeof v === 'object' && Object.keys(v).length === 0));
  if (defined.length === 0 || (g.noSignificantRegression === false && defined.length === 1)) {
    throw new IntentOpsError('invalid_config', 'the gates file defines no gate', { where: file, hint: `add at least one of: ${keysAt([]).filter((k) => k !== 'version' && k !== 'alpha').join(', ')}` });
  }
  return g;
}
