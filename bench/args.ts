import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo root, the command-line options and the data / encoder folders every benchmark script takes. */
export function benchArgs(): { root: string; here: string; args: string[]; opt: (name: string) => string | undefined; dataDir: string; modelDir: string } {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(here, '..');
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const dataDir = resolve(root, opt('--data') ?? '../shared/datasets/banking77');
  const modelDir = resolve(root, opt('--model-dir') ?? '../shared/models/all-MiniLM-L6-v2-q4');
  if (!existsSync(join(dataDir, 'train.jsonl'))) {
    console.error(`error: ${dataDir}/train.jsonl not found\n  hint: the benchmark needs BANKING77 beside the repo (../shared/datasets/banking77) or --data DIR`);
    process.exit(3);
  }
  return { root, here, args, opt, dataDir, modelDir };
}
