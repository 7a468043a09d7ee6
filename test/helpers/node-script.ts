/**
 * Runs the suite's TypeScript helper scripts (the crash tests' writers, the loop child, …) as plain
 * node children: each script is compiled once per worker process by esbuild, its imports of src/
 * pointed at the compiled dist/ (which vitest's global setup keeps current, and which the CLI and
 * the threads under test run as well), instead of loading tsx in every child (about 0.6
 * CPU-seconds more per child; some 25 children per run).
 */
import { build, type Plugin } from 'esbuild';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './sample.js';

// inside the tree, so the packages a script imports resolve from its node_modules
const OUT = join(ROOT, 'node_modules', '.cache', 'intentops-test-scripts');
const SRC = join(ROOT, 'src') + sep;
const compiled = new Map<string, string>();

/** src/…/x.js imported by a script → the compiled dist/…/x.js, left as an import (not bundled). */
const toDist: Plugin = {
  name: 'src-to-dist',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      if (!target.startsWith(SRC)) return undefined;
      const dist = join(ROOT, 'dist', relative(SRC, target));
      if (!existsSync(dist)) return { errors: [{ text: `${relative(ROOT, dist)} is missing: run npm run build (the global setup compiles src/ into dist/)` }] };
      return { path: pathToFileURL(dist).href, external: true };
    });
  },
};

/** The node arguments that run `script` (a path under the repository root) with `args`. */
export async function nodeScript(script: string, args: readonly string[] = []): Promise<string[]> {
  let out = compiled.get(script);
  if (!out) {
    const file = join(ROOT, script);
    const hash = createHash('sha256').update(script).update('\0').update(readFileSync(file)).digest('hex').slice(0, 16);
    out = join(OUT, `${hash}.mjs`);
    if (!existsSync(out)) {
      mkdirSync(dirname(out), { recursive: true });
      // to a name of its own first, then renamed: two workers may compile the same script at once
      const tmp = `${out}.${process.pid}.tmp.mjs`;
      await build({ entryPoints: [file], outfile: tmp, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', plugins: [toDist], logLevel: 'silent' });
      renameSync(tmp, out);
    }
    compiled.set(script, out);
  }
  return [out, ...args];
}

/**
 * Runs a TypeScript helper script as a child (node itself, on the script nodeScript compiled) and
 * SIGKILLs it once it prints `marker`. Resolves with its output; rejects if it exits any other way.
 */
export async function killScriptAt(script: string, args: readonly string[], marker: string): Promise<string> {
  const argv = await nodeScript(script, args);
  return new Promise((resolveP, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes(marker)) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolveP(out) : reject(new Error(`${script} exited ${code} before "${marker}": ${out}${err}`))));
  });
}
