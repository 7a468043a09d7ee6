/**
 * Checking an LLM's suggested name for a discovered cluster. Pure. A suggestion is used only when
 * it is a usable intent name — snake_case (lowercase letters and digits in 1 to 6 words joined by
 * `_`, at most 64 characters), not a reserved word, not one of the model's intents and not the
 * name given to another cluster of the same report — else the cluster keeps its name from the
 * distinctive terms, and the report says why.
 */

/** Names an intent can never have: the LLM's "no intent fits" and the review label for "not ours". */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['none', 'out_of_scope', 'oos', 'unknown', 'other']);

const SNAKE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+){0,5}$/;

export type NameCheck = { readonly ok: true; readonly name: string } | { readonly ok: false; readonly why: string };

/**
 * `raw` as an intent name: light formatting forgiven (surrounding space and quotes, capitals,
 * spaces or hyphens between words), anything else refused with the reason.
 */
export function checkSuggestedName(raw: string, existing: Iterable<string>, taken: Iterable<string> = []): NameCheck {
  const name = raw
    .trim()
    .replace(/^["'`]+|["'`]+$/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (!SNAKE.test(name) || name.length > 64) return { ok: false, why: `not a snake_case name of 1–6 words and at most 64 characters (${raw.length} characters given)` };
  if (RESERVED_NAMES.has(name)) return { ok: false, why: `"${name}" is reserved` };
  const lower = (xs: Iterable<string>) => new Set([...xs].map((x) => x.toLowerCase()));
  if (lower(existing).has(name)) return { ok: false, why: `"${name}" is already one of the model's intents` };
  if (lower(taken).has(name)) return { ok: false, why: `"${name}" was already suggested for another cluster` };
  return { ok: true, name };
}
