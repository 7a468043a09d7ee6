import { IntentOpsError } from '../core/errors.js';
import type { VersionRef } from './registry-store.js';

/** Model names: no '/' or '@', so `NAME/3` and `NAME@ALIAS` always parse one way. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Aliases start with a letter; `latest` and `v<digits>` are reserved (as in MLflow). */
export const ALIAS_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

const URI_FORMS = 'models:/NAME@ALIAS, models:/NAME/VERSION, models:/NAME/latest (the models:/ prefix is optional)';

export function checkModelName(name: unknown): string {
  if (typeof name !== 'string' || !MODEL_NAME.test(name)) {
    throw new IntentOpsError('invalid_input', `model name ${JSON.stringify(name)} is not valid`, {
      where: 'model name',
      hint: 'use 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit',
    });
  }
  return name;
}

export function checkAlias(alias: unknown): string {
  if (typeof alias !== 'string' || !ALIAS_NAME.test(alias) || alias.toLowerCase() === 'latest' || /^v\d+$/i.test(alias)) {
    throw new IntentOpsError('invalid_input', `alias ${JSON.stringify(alias)} is not valid`, {
      where: 'alias',
      hint: 'use 1-64 letters, digits, "_" or "-", starting with a letter; "latest" and "v<number>" are reserved',
    });
  }
  return alias;
}

export function checkVersion(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new IntentOpsError('invalid_input', `model version must be a positive integer, got ${JSON.stringify(v)}`, { where: 'version' });
  }
  return v;
}

export function checkRef(ref: unknown): VersionRef {
  if (ref === 'latest') return ref;
  if (typeof ref === 'object' && ref !== null && 'alias' in ref) return { alias: checkAlias((ref as { alias: unknown }).alias) };
  return checkVersion(ref);
}

export interface ModelRef {
  readonly name: string;
  readonly ref: VersionRef;
}

/**
 * Parses `models:/NAME@ALIAS`, `models:/NAME/3`, `models:/NAME/latest`, or the same without
 * the `models:/` prefix.
 */
export function parseModelUri(uri: string): ModelRef {
  const body = uri.startsWith('models:/') ? uri.slice('models:/'.length) : uri;
  const bad = (why: string) =>
    new IntentOpsError('invalid_input', `model URI ${JSON.stringify(uri)}: ${why}`, { where: 'model URI', hint: `write one of ${URI_FORMS}` });
  const at = body.indexOf('@');
  const slash = body.indexOf('/');
  if (at >= 0 && slash < 0) return { name: checkName(body.slice(0, at), bad), ref: { alias: checkAliasIn(body.slice(at + 1), bad) } };
  if (slash >= 0 && at < 0) {
    const name = checkName(body.slice(0, slash), bad);
    const v = body.slice(slash + 1);
    if (v === 'latest') return { name, ref: 'latest' };
    if (!/^[1-9]\d{0,14}$/.test(v)) throw bad(`version ${JSON.stringify(v)} is not a positive integer`);
    return { name, ref: Number(v) };
  }
  throw bad(at < 0 ? 'it names no version or alias' : 'it mixes "@" and "/"');
}

function checkName(name: string, bad: (why: string) => IntentOpsError): string {
  if (!MODEL_NAME.test(name)) throw bad(`${JSON.stringify(name)} is not a valid model name`);
  return name;
}

function checkAliasIn(alias: string, bad: (why: string) => IntentOpsError): string {
  try {
    return checkAlias(alias);
  } catch {
    throw bad(`${JSON.stringify(alias)} is not a valid alias`);
  }
}

/** The canonical URI of a reference: `models:/NAME@ALIAS`, `models:/NAME/3`. */
export function formatModelUri(name: string, ref: VersionRef): string {
  return typeof ref === 'object' ? `models:/${name}@${ref.alias}` : `models:/${name}/${ref}`;
}
