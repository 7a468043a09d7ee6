import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/sample.js';

/*
 * The dependency set, package.json "engines" and the Node lines CI runs agree, and npm has
 * nothing to warn about in this project (a warning on every command teaches people to ignore
 * warnings).
 */

interface LockEntry {
  engines?: Record<string, string> | string[];
  optional?: boolean;
  dev?: boolean;
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; overrides?: Record<string, string> };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry & { version?: string }> };
const CI_RUN = readFileSync(join(ROOT, '.ci/run'), 'utf8');

/** The major lines a range admits, e.g. `^20.19.0 || ^22.13.0 || ^24.0.0` → [20, 22, 24]. */
function majors(range: string): number[] {
  return new semver.Range(range).set.map((comparators) => semver.minVersion(new semver.Range(comparators.map((c) => c.value).join(' ')))!.major);
}

describe('npm and Node.js lines', () => {
  it('engines names the supported lines: 20, 22 and 24 (the active LTS)', () => {
    expect(majors(pkg.engines.node)).toEqual([20, 22, 24]);
    expect(semver.satisfies('26.0.0', pkg.engines.node)).toBe(false);
  });

  it('every dependency that states a Node range supports every version engines admits (no EBADENGINE)', () => {
    const misfits = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.engines && !Array.isArray(p.engines) && p.engines.node)
      .filter(([, p]) => !semver.subset(pkg.engines.node, (p.engines as Record<string, string>).node))
      .map(([path, p]) => `${path}@${p.version}: node ${(p.engines as Record<string, string>).node}`);
    expect(misfits).toEqual([]);
    // the NATS client pins @nats-io/nuid 3, which declares node >= 22 while running on 20: the
    // override holds it at 2.0.3, the same API (nuid.next(), Nuid) for node >= 18
    expect(pkg.overrides).toEqual({ '@nats-io/nuid': '2.0.3' });
    const nuids = Object.entries(lock.packages).filter(([path]) => path.endsWith('node_modules/@nats-io/nuid'));
    expect(nuids.length).toBeGreaterThan(0);
    for (const [path, p] of nuids) expect(p.version, path).toBe('2.0.3');
  });

  it(".ci/run runs the whole suite on each supported line besides the machine's own (20, which runs npm test)", () => {
    const runs = [...CI_RUN.matchAll(/^\s*(?:npm run test:node --|bash scripts\/node-line\.sh) (\d+)\b(.*)$/gm)];
    const lines = runs.map((m) => Number(m[1]));
    expect(lines.sort((a, b) => a - b)).toEqual([22, 24]);
    expect(majors(pkg.engines.node).filter((m) => !lines.includes(m))).toEqual([20]);
    // no test paths or filters after the line: every test file runs on every line
    for (const m of runs) expect(m[2].trim(), `node ${m[1]}`).toBe('');
    expect(CI_RUN).toMatch(/^npm test$/m);
  });

  it('npm prints no warning in this project (no unknown project config)', () => {
    const r = spawnSync('npm', ['pkg', 'get', 'name'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('"intentops"');
    expect(r.stderr).not.toMatch(/npm warn/i);
  });

  it('onnxruntime-node needs no install script: its CPU binary is in the package', () => {
    const dir = join(ROOT, 'node_modules/onnxruntime-node/bin/napi-v6', process.platform, process.arch);
    const out = execFileSync(process.execPath, ['-e', `require(${JSON.stringify(join(dir, 'onnxruntime_binding.node'))}); console.log('ok')`], { encoding: 'utf8' });
    expect(out.trim()).toBe('ok');
  });
});
