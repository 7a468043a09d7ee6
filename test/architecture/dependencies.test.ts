import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string };
}

/** depcruise over `src` in `cwd` with the project's rules: the violations found. */
function cruise(cwd: string): Violation[] {
  const r = spawnSync(process.execPath, [CLI, 'src', '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (!r.stdout) throw new Error(`depcruise printed nothing: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

/** The exit status of what `npm run lint:deps` runs, in `cwd`. */
function lintStatus(cwd: string): number | null {
  return spawnSync(process.execPath, [CLI, 'src', '--config', CONFIG, '--output-type', 'err'], { cwd, encoding: 'utf8' }).status;
}

describe('the import rules of src/ (.dependency-cruiser.cjs)', () => {
  it('hold for src/: no cycle, no layering break', () => {
    expect(cruise(ROOT).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  });

  it('fail on a tree that breaks each of them, and accept the composition root building an adapter', () => {
    const bad = join(ROOT, 'test', 'fixtures', 'architecture', 'bad');
    expect(lintStatus(bad)).not.toBe(0);
    const found = cruise(bad).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
    expect(found).toEqual(
      [
        'adapters-not-app: src/adapters/store/memory.ts -> src/app/services/use-case.ts',
        'adapters-only-in-container: src/app/cli/command.ts -> src/adapters/store/memory.ts',
        'classify-pipeline-is-inner: src/app/classify/leaky.ts -> src/app/services/use-case.ts',
        'core-is-pure: src/core/impure.ts -> src/app/services/use-case.ts',
        'lib-is-leaf: src/lib/helper.ts -> src/app/services/use-case.ts',
        'no-circular: src/adapters/store/memory.ts -> src/ports/store.ts',
        'no-circular: src/core/a.ts -> src/core/b.ts',
        'ports-only-core: src/ports/store.ts -> src/adapters/store/memory.ts',
        'use-cases-not-entry-points: src/app/services/reaches-up.ts -> src/app/container/open.ts',
      ].sort(),
    );
    // the composition root building an adapter is no violation
    expect(found.filter((f) => f.split(' -> ')[0].includes('src/app/container/'))).toEqual([]);
  });
});

describe('CI runs the rules', () => {
  it('.ci/run calls npm run lint:deps right after the typecheck, and the script cruises src with the committed config', () => {
    const run = readFileSync(join(ROOT, '.ci/run'), 'utf8').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
    expect(run[run.indexOf('npm run typecheck') + 1]).toBe('npm run lint:deps');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['lint:deps']).toBe('depcruise src --config .dependency-cruiser.cjs --output-type err');
  });
});
