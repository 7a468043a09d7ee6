#!/usr/bin/env node
// `npm run build` step after tsc: bundles the compiled CLI (dist/app/cli/main.js, the modules it
// imports from dist/ and its pure-JavaScript dependencies) into one file, dist/cli.mjs, which
// bin/intentops.js runs. Node resolves, opens and compiles some 390 ES modules to start the
// unbundled CLI; one file halves the CPU a command spends before it does anything (0.62 → 0.29
// CPU-seconds for `--version` on the 2-core machine, 7 December 2026), which every `intentops`
// command, each container start and each CLI process of the test suite pays.
//
// What stays outside the bundle, loaded from node_modules at run time:
// - the native addons (better-sqlite3, hnswlib-node, onnxruntime-node) and what loads files of its
//   own package by path (@huggingface/tokenizers, pino's transport threads, swagger-ui-dist's
//   assets), and pg's optional native binding;
// - the worker threads' entry modules (dist/adapters/*-worker.js …): a thread starts from the
//   unbundled dist/ file, as before.
// Every `import.meta.url` of a bundled module is replaced by that module's own URL (its path
// relative to the bundle), so the files it finds beside itself (web/, prompts/, package.json, the
// thread entries) are the ones it found before bundling.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'app', 'cli', 'main.js');
const outfile = join(root, 'dist', 'cli.mjs');

const EXTERNAL = [
  'better-sqlite3',
  'hnswlib-node',
  'onnxruntime-node',
  '@huggingface/tokenizers',
  'pino',
  'swagger-ui-dist',
  'pg-native',
];

const ownUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.(m?js|cjs)$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = relative(dirname(outfile), args.path).split(sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: EXTERNAL,
  plugins: [ownUrl],
  // the modules main.js imports run its CLI only when it is the process's entry or told to; the
  // bundle is always run as the CLI (bin/intentops.js, the tests' child processes)
  banner: {
    js: [
      "process.env.INTENTOPS_CLI_MAIN = '1';",
      // CommonJS dependencies inside an ES module bundle still call require() for Node's built-ins
      "import { createRequire as __intentopsRequire } from 'node:module';",
      'const require = __intentopsRequire(import.meta.url);',
    ].join('\n'),
  },
  legalComments: 'linked',
  logLevel: 'warning',
});
