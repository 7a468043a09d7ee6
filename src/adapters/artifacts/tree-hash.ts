import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { IntentOpsError } from '../../core/errors.js';

export interface TreeEntry {
  /** Relative path with '/' separators. */
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

export const sha256hex = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

export const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** The tree hash of a listing: sha256 of `<file sha256>  <path>\n` lines sorted by path (sha256sum's format). */
export function treeHash(entries: readonly TreeEntry[]): string {
  const lines = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((e) => `${e.sha256}  ${e.path}\n`);
  return sha256hex(lines.join(''));
}

/** Relative paths of the regular files under `root`, sorted. Symlinks and special files are refused. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const st = lstatSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile()) out.push(relative(root, full).split(sep).join('/'));
      else {
        throw new IntentOpsError('invalid_input', `${full} is not a regular file (symlink or special file)`, { where: full, hint: 'artifacts hold regular files only: copy the target in place of the link' });
      }
    }
  };
  walk(root);
  return out.sort();
}

/** Reads every file under `root` once and returns the listing plus its tree hash. */
export function hashDirectory(root: string, visit?: (entry: TreeEntry, data: Buffer) => void): { hash: string; entries: TreeEntry[] } {
  const entries = listFiles(root).map((path) => {
    const data = readFileSync(join(root, ...path.split('/')));
    const entry = { path, sha256: sha256hex(data), bytes: data.byteLength };
    visit?.(entry, data);
    return entry;
  });
  return { hash: treeHash(entries), entries };
}

/** What changed between a recorded listing and the current one, for error messages. */
export function describeDrift(expected: readonly TreeEntry[], actual: readonly TreeEntry[]): string {
  const want = new Map(expected.map((e) => [e.path, e.sha256]));
  const have = new Map(actual.map((e) => [e.path, e.sha256]));
  const parts: string[] = [];
  for (const [p, h] of want) {
    if (!have.has(p)) parts.push(`${p} is missing`);
    else if (have.get(p) !== h) parts.push(`${p} was modified`);
  }
  for (const p of have.keys()) if (!want.has(p)) parts.push(`${p} was added`);
  return parts.join(', ');
}
