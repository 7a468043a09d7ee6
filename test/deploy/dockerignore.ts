/**
 * `.dockerignore` matching as the Docker builder does it: patterns are cleaned paths relative to
 * the context, `*` stays within one path segment, `**` spans any number of them, a pattern also
 * matches everything under a directory it matches, `!` re-includes, and the last matching
 * pattern decides.
 */
import { readFileSync } from 'node:fs';

interface Rule {
  readonly negate: boolean;
  readonly re: RegExp;
  readonly text: string;
}

function toRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function parseDockerignore(text: string): Rule[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const body = (negate ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '').replace(/^\.\//, '');
      return { negate, re: toRegExp(body), text: l };
    });
}

/** True when the context path (relative, `/`-separated) is left out of the build context. */
export function isIgnored(rules: readonly Rule[], path: string): boolean {
  const parts = path.replace(/^\.\//, '').split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const r of rules) if (prefixes.some((p) => r.re.test(p))) ignored = !r.negate;
  return ignored;
}

export function readDockerignore(path: string): Rule[] {
  return parseDockerignore(readFileSync(path, 'utf8'));
}
