import type { Context } from 'hono';
import type { z } from 'zod';
import { readCapped } from './limit.js';
import { HttpProblem, type FieldError } from './problem.js';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface ReadOptions {
  /** Runs on the parsed JSON before schema validation (e.g. a cheap size check that must be 413). */
  readonly precheck?: (json: unknown) => void;
  /** A missing body counts as `{}` (bodiless actions such as claim). */
  readonly optional?: boolean;
  /**
   * A cheaper check of the common, valid body: returns what the schema would, or undefined to
   * leave the body to the schema (which then accepts it or names what is wrong).
   */
  readonly fast?: (json: unknown) => unknown;
}

/**
 * Reads a JSON request body: content type (415), UTF-8 (400), JSON syntax (400), then the zod
 * schema (400 with one entry per invalid field). The size limit (413) is checked by limitBody
 * on the declared length, or here while reading a chunked body.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S, o: ReadOptions = {}): Promise<z.output<S>> {
  const cap = c.get('bodyCap');
  const bytes = cap ? await readCapped(c.req.raw.body, cap) : new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length === 0) {
    if (o.optional) return parse(schema, {});
    throw new HttpProblem(400, 'invalid-body', 'the request body is empty: send a JSON object');
  }
  const type = c.req.header('content-type') ?? '';
  // what nearly every client sends needs no parsing
  if (type !== 'application/json') {
    const [mime, ...params] = type.split(';').map((s) => s.trim());
    const charset = params.find((p) => /^charset=/i.test(p))?.slice(8).replace(/"/g, '');
    if (!JSON_TYPE.test(mime) || (charset && !/^utf-?8$/i.test(charset))) {
      const got = type ? `got ${JSON.stringify(type)}` : 'no Content-Type was sent';
      throw new HttpProblem(415, 'unsupported-media-type', `the body must be JSON encoded as UTF-8 (${got}): send Content-Type: application/json`, { headers: { 'accept-post': 'application/json' } });
    }
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpProblem(400, 'invalid-body', `the request body is not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8(bytes)}): encode the JSON as UTF-8`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new HttpProblem(400, 'invalid-json', `the request body is not valid JSON: ${(e as Error).message}`);
  }
  o.precheck?.(json);
  const quick = o.fast?.(json);
  if (quick !== undefined) return quick as z.output<S>;
  return parse(schema, json);
}

/** Validates already-parsed input (query strings, JSON); a failure is a 400 naming each field. */
export function parse<S extends z.ZodType>(schema: S, input: unknown, where = 'body'): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const errors = fieldErrors(r.error, where);
  const first = errors[0];
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  throw new HttpProblem(400, 'validation', `${first.field}: ${first.message}${more}`, { errors });
}

export function fieldErrors(err: z.ZodError, where: string): FieldError[] {
  const out: FieldError[] = [];
  for (const issue of err.issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) out.push({ field: [...path, k].join('.'), message: 'unknown field: remove it (see /openapi.json for the accepted fields)' });
    } else {
      out.push({ field: path.length ? path.join('.') : `(${where})`, message: issue.message });
    }
  }
  return out;
}

/** Byte offset of the first malformed UTF-8 sequence (for the error message). */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const x = b[i];
    const n = x < 0x80 ? 1 : x >= 0xc2 && x < 0xe0 ? 2 : x >= 0xe0 && x < 0xf0 ? 3 : x >= 0xf0 && x < 0xf5 ? 4 : 0;
    if (n === 0) return i;
    for (let k = 1; k < n; k++) if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return i;
    try {
      utf8.decode(b.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return b.length;
}
