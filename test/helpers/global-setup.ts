/**
 * vitest's global setup (vitest.config.ts). The tests that start the CLI as a child process run the
 * bundled dist/cli.mjs (CLI_MAIN, test/helpers/sample.ts), so dist/ must hold the sources as they
 * are now: when a file under src/ is newer than what dist/ was compiled from (or dist/ is missing),
 * src/ is compiled and bundled again first, exactly as `npm run build` does for the app
 * (tsc -p tsconfig.build.json, then scripts/bundle-cli.mjs). On a fresh clone `npm ci` (prepare) has
 * just built dist/, so nothing is done; after an edit it takes a few seconds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { ROOT, TRAIN_CACHE_ENV } from './sample.js';

/**
 * Written after each compile here, since a compile that leaves a file's output unchanged does not
 * rewrite that file. Outside the tree (dist/ is what npm packs), one per checkout.
 */
const STAMP = join(tmpdir(), `intentops-dist-compiled-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`);

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* sources(p);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) yield p;
  }
}

const mtime = (p: string): number => (existsSync(p) ? statSync(p).mtimeMs : 0);

/** The first source file whose compiled output is older than it, or undefined when dist/ is current. */
export function staleSource(): string | undefined {
  const stamp = mtime(STAMP);
  const bundle = mtime(join(ROOT, 'dist', 'cli.mjs'));
  for (const src of sources(join(ROOT, 'src'))) {
    const out = join(ROOT, 'dist', relative(join(ROOT, 'src'), src)).replace(/\.ts$/, '.js');
    if (mtime(src) > Math.max(mtime(out), stamp) || mtime(src) > Math.max(bundle, stamp)) return relative(ROOT, src);
  }
  return undefined;
}

export default function setup(): () => void {
  compileIfStale();
  // the bundles the test files share (test/helpers/trained.ts): the workers vitest starts next
  // inherit the variable. A directory the caller names (.ci/run, so that the Node 24 and 22 runs
  // reuse what the Node 20 run trained) is kept, and its bundles are filed under a hash of the code
  // and dependencies that train them: a change to src/ or package-lock.json starts an empty
  // subdirectory. Otherwise a fresh one for this run only.
  const given = process.env[TRAIN_CACHE_ENV];
  if (given) {
    // (vitest may call this more than once in a run: the variable then names the subdirectory)
    const sub = `code-${codeHash()}`;
    const dir = basename(given) === sub ? given : join(given, sub);
    mkdirSync(dir, { recursive: true });
    process.env[TRAIN_CACHE_ENV] = dir;
    return () => {};
  }
  const cache = mkdtempSync(join(tmpdir(), 'intentops-test-trained-'));
  process.env[TRAIN_CACHE_ENV] = cache;
  return () => rmSync(cache, { recursive: true, force: true });
}

/**
 * What a trained bundle depends on besides its request and data: every source file under src/
 * (tests excluded), the installed dependencies' versions (package-lock.json) and the cache's own
 * code (test/helpers/trained.ts). Not the Node.js
 * version: training is the same arithmetic on every supported line, and test/helpers/trained.test.ts
 * checks, on each line, that a shared bundle has the weights that line's own training gives.
 */
export function codeHash(root = ROOT): string {
  const h = createHash('sha256');
  for (const f of [...sources(join(root, 'src'))].sort()) {
    h.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  h.update(readFileSync(join(root, 'package-lock.json')));
  // and the layout the cache's entries are written in
  h.update(readFileSync(join(root, 'test', 'helpers', 'trained.ts')));
  return h.digest('hex').slice(0, 16);
}

function compileIfStale(): void {
  const stale = staleSource();
  if (stale === undefined) return;
  const started = Date.now();
  for (const [what, cmd, args] of [
    ['compiling src/ into it', join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json']],
    ['bundling the CLI (scripts/bundle-cli.mjs)', process.execPath, [join(ROOT, 'scripts', 'bundle-cli.mjs')]],
  ] as const) {
    const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) {
      throw new Error(`the tests run the CLI from dist/, and ${what} failed (${stale} changed); fix the error, or run \`npm run build\` to see it:\n${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}`);
    }
  }
  writeFileSync(STAMP, `${ROOT}/dist compiled by test/helpers/global-setup.ts: ${stale} was newer\n`);
  console.log(`global setup: compiled and bundled src/ into dist/ for the CLI tests in ${((Date.now() - started) / 1000).toFixed(1)} s (${stale} was newer)`);
}
