import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GET_MODEL_HINT } from '../../src/adapters/embedders/onnx-model-dir.js';
import { ROOT } from '../helpers/sample.js';

/*
 * The README's Quick start is what CI runs: `.ci/run` calls its commands in its order, and
 * `npm run test:setup` (what `npm test` needs from the machine) leaves a machine that has
 * everything as it is and says so. Nothing names a directory of one particular machine.
 */

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const CI_RUN = readFileSync(join(ROOT, '.ci/run'), 'utf8');

/** The commands of the README's first bash block under "Quick start", comments dropped. */
function quickStart(): string[] {
  const section = README.slice(README.indexOf('## Quick start'));
  const block = /```bash\n([\s\S]*?)```/.exec(section)![1];
  return block
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

describe('a fresh machine', () => {
  it("the README's Quick start installs, sets up and tests with commands .ci/run runs in the same order", () => {
    const commands = quickStart();
    expect(commands).toEqual(['npm run test:setup', 'npm ci', 'npm run demo', 'npm test']);
    const ciLines = CI_RUN.split('\n').map((l) => l.trim());
    const at = (c: string) => ciLines.indexOf(c);
    const steps = commands.filter((c) => c !== 'npm run demo');
    for (const c of steps) expect(at(c), `.ci/run runs "${c}"`).toBeGreaterThanOrEqual(0);
    expect(steps.map(at)).toEqual([...steps.map(at)].sort((a, b) => a - b));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['test:setup']).toBe('bash scripts/test-setup.sh');
  });

  it('npm run test:setup on a machine that has everything changes nothing and reports what is there', () => {
    const r = spawnSync('bash', [join(ROOT, 'scripts/test-setup.sh')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/installing|starting/);
    expect(r.stdout).toMatch(/^test:setup: ready: chromium \d+\.[\d.]+, promtool [\d.]+, PostgreSQL, Redis and NATS listening$/m);
  });

  it('no file in the repository names a directory of one particular machine', () => {
    const r = spawnSync('git', ['grep', '-n', '-I', '-E', '(^|[^.\\w])/work/(shared|main)\\b', '--', '.', ':!package-lock.json'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout).toBe('');
    // the ONNX embedder's hint points at the README's instructions and the documented setting
    expect(GET_MODEL_HINT).toMatch(/INTENTOPS_ONNX_MODEL_DIR/);
    expect(GET_MODEL_HINT).toMatch(/README section "Getting a local encoder onto a machine"/);
    expect(GET_MODEL_HINT).not.toMatch(/(^|\s)\/\w/);
    expect(README).toMatch(/^### Getting a local encoder onto a machine$/m);
  });
});
