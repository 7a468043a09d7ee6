import { IntentOpsError } from '../core/errors.js';
import { maskUri } from '../core/uri.js';

/*
 * Store, cache and rate-limiter backends are chosen by URI scheme (as MLflow chooses its stores):
 * `sqlite:./intentops.db`, `postgres://…`, `memory`, `redis://…`. These helpers are shared by the
 * three adapter tables so the parsing and the error wording exist once.
 */

export { maskUri };

export interface SchemeSplit {
  /** Lower-cased scheme: `sqlite`, `postgres`, `memory`, `redis`… */
  readonly scheme: string;
  /** Everything after the first colon ('' when there is none, as in `memory`). */
  readonly rest: string;
}

/** Splits `scheme:rest`; a bare word (`memory`) is a scheme with an empty rest. */
export function splitScheme(uri: string): SchemeSplit | undefined {
  const m = /^([a-z][a-z0-9+.-]*)(?::([\s\S]*))?$/i.exec(uri.trim());
  return m ? { scheme: m[1].toLowerCase(), rest: m[2] ?? '' } : undefined;
}

/**
 * Picks the entry of `table` named by the URI's scheme; an unknown or missing scheme fails with
 * 'invalid_config' listing the forms that are accepted.
 */
export function pickByScheme<T>(table: Readonly<Record<string, T>>, uri: string, what: string, forms: readonly string[]): { entry: T } & SchemeSplit {
  const split = splitScheme(uri);
  if (split && Object.hasOwn(table, split.scheme)) return { entry: table[split.scheme], ...split };
  const shown = JSON.stringify(maskUri(uri));
  const why = split ? `unknown scheme "${split.scheme}" in ${what} URI ${shown}` : `${what} URI ${shown} has no scheme`;
  throw new IntentOpsError('invalid_config', `${why}; valid: ${forms.join(', ')}`, {
    where: what,
    hint: `use one of: ${forms.join(', ')}`,
  });
}

/** Loads an optional or native dependency lazily, failing with an install hint instead of a stack trace. */
export async function loadDriver<M>(name: string, what: string, load: () => Promise<M>): Promise<M> {
  try {
    return await load();
  } catch (cause) {
    throw new IntentOpsError('unavailable', `the ${what} driver "${name}" could not be loaded`, {
      where: what,
      hint: `run \`npm install ${name}\`${name === 'better-sqlite3' ? ' (a native addon: `npm rebuild better-sqlite3` if Node was upgraded)' : ''}`,
      cause,
    });
  }
}

/** A positive integer from a query parameter or option, else 'invalid_config' naming it. */
export function positiveInt(value: unknown, name: string, where: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) return n;
  throw new IntentOpsError('invalid_config', `${name} must be a positive integer, got ${JSON.stringify(value)}`, { where });
}
