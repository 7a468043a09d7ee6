import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_CATALOGUE, PROCESS_ENV } from '../../src/app/config.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** `env.NAME`, `env['NAME']`, `process.env.NAME` outside comments. */
const READ = /\benv(?:\.([A-Z][A-Z0-9_]*)|\[['"]([A-Z][A-Z0-9_]*)['"]\])/g;

describe('the config catalogue', () => {
  it('is the only place that reads an environment variable by name (src/app/config.ts)', () => {
    const outside: string[] = [];
    for (const f of sources(SRC)) {
      if (relative(ROOT, f) === join('src', 'app', 'config.ts')) continue;
      const code = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      for (const m of code.matchAll(READ)) outside.push(`${relative(ROOT, f)}: ${m[1] ?? m[2]}`);
    }
    expect(outside).toEqual([]);
  });

  it('names each variable config.ts reads, in ENV_CATALOGUE or PROCESS_ENV', () => {
    const code = readFileSync(join(SRC, 'app', 'config.ts'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    const read = new Set([...code.matchAll(READ)].map((m) => m[1] ?? m[2]));
    const known = new Set([...Object.keys(ENV_CATALOGUE), ...Object.keys(PROCESS_ENV)]);
    expect([...read].filter((n) => !known.has(n))).toEqual([]);
  });
});
