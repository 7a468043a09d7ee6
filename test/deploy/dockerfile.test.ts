import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/sample.js';
import { imageConfig, parseDockerfile, readDockerfile } from './dockerfile.js';
import { isIgnored, parseDockerignore, readDockerignore } from './dockerignore.js';
import { cliProblems, unknownEnv } from './known.js';

const TEXT = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const DF = readDockerfile(join(ROOT, 'Dockerfile'));
const FINAL = imageConfig(DF);
const RUNTIME = imageConfig(DF, 'runtime');
const build = DF.stages.find((s) => s.name === 'build')!;

/** Every check dockerfile-utils has, as an error. */
const STRICT: ValidatorSettings = Object.fromEntries(
  ['deprecatedMaintainer', 'directiveCasing', 'emptyContinuationLine', 'instructionCasing', 'instructionCmdMultiple', 'instructionEntrypointMultiple', 'instructionHealthcheckMultiple', 'instructionJSONInSingleQuotes', 'instructionWorkdirRelative'].map((k) => [k, ValidationSeverity.ERROR]),
);

describe('Dockerfile', () => {
  it('passes dockerfile-utils with every check on (no error, no warning)', () => {
    const problems = validate(TEXT, STRICT).map((d) => `Dockerfile:${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it('the linter does catch mistakes (so the check above can fail)', () => {
    expect(validate('FROM node:20-bookworm-slim\ncmd ["a"]\nCMD [\'b\']\nWORKDIR rel\n', STRICT).length).toBeGreaterThanOrEqual(3);
  });

  it('is multi-stage: build tools and dev dependencies stay in the build stage', () => {
    expect(DF.stages.map((s) => s.name)).toEqual(['build', 'runtime', 'bundled']);
    const runs = (name: string) => DF.stages.find((s) => s.name === name)!.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args).join('\n');
    expect(runs('build')).toMatch(/build-essential/);
    expect(runs('build')).toMatch(/npm run build/);
    expect(runs('build')).toMatch(/npm prune --omit=dev/);
    expect(runs('runtime')).not.toMatch(/apt-get|npm/);
    // the runtime stage starts again from the slim base, not from the build stage
    expect(DF.stages.find((s) => s.name === 'runtime')!.base).toBe(build.base);
    expect(DF.stages.find((s) => s.name === 'bundled')!.base).toBe('runtime');
  });

  it('every base image is pinned to a version tag (no latest, no bare name)', () => {
    const external = DF.stages.map((s) => s.base).filter((b) => !DF.stages.some((s) => s.name === b));
    expect(external.length).toBeGreaterThan(0);
    for (const b of external) expect(b).toMatch(/^[\w./-]+:(?!latest$)[\w.-]+$/);
    // the active LTS line (package.json engines lists every supported one)
    expect(build.base).toBe('node:24-bookworm-slim');
  });

  it('installs with the project .npmrc and only allowScripts-approved install scripts', () => {
    const install = build.instructions.findIndex((i) => i.keyword === 'RUN' && i.args.includes('npm-ci.sh'));
    const npmrc = build.instructions.findIndex((i) => i.keyword === 'COPY' && i.args.includes('.npmrc'));
    expect(npmrc).toBeGreaterThanOrEqual(0);
    expect(npmrc).toBeLessThan(install);
    // no settings npm does not know (npm warns about them on every command): onnxruntime-node's
    // CUDA download is kept out by allowScripts instead, its CPU binary being in the tarball
    expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).not.toMatch(/onnxruntime/);
    // the script's own package list, computed as the build computes it
    const script = readFileSync(join(ROOT, 'deploy/docker/npm-ci.sh'), 'utf8');
    expect(script).toMatch(/npm ci --ignore-scripts/);
    const expr = /node -p "([^"]+)"/.exec(script)![1];
    const allowed = execFileSync(process.execPath, ['-p', expr], { cwd: ROOT, encoding: 'utf8' }).trim().split(' ');
    const policy = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean> }).allowScripts;
    expect(allowed.sort()).toEqual(Object.keys(policy).filter((k) => policy[k]).sort());
    expect(allowed).not.toContain('@scarf/scarf');
    expect(policy['onnxruntime-node']).toBe(false);
  });

  it('the final image runs as a numeric non-root user and is configured to listen on all interfaces', () => {
    expect(FINAL.user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(FINAL.user!.split(':')[0])).toBeGreaterThan(0);
    expect(FINAL.env).toMatchObject({ INTENTOPS_HOST: '0.0.0.0', INTENTOPS_PORT: '8080', NODE_ENV: 'production' });
    expect(FINAL.exposed).toEqual([FINAL.env.INTENTOPS_PORT]);
    expect(unknownEnv(Object.keys(FINAL.env))).toEqual([]);
    // the user of the runtime stage is set after its last RUN (which needs root for chown)
    const rt = DF.stages.find((s) => s.name === 'runtime')!.instructions;
    expect(rt.findIndex((i) => i.keyword === 'USER')).toBeGreaterThan(rt.map((i) => i.keyword).lastIndexOf('RUN'));
  });

  it('has a HEALTHCHECK that asks /healthz with node itself (slim images have no curl)', () => {
    expect(FINAL.healthcheck).toBeDefined();
    const { cmd, flags } = FINAL.healthcheck!;
    expect(cmd[0]).toBe('node');
    expect(cmd.join(' ')).toMatch(/\/healthz/);
    expect(cmd.join(' ')).not.toMatch(/curl|wget/);
    expect(Object.keys(flags).sort()).toEqual(['interval', 'retries', 'start-period', 'timeout']);
  });

  it('starts `intentops serve` in exec form (node is PID 1 and receives SIGTERM), on the baked model or a registry alias', () => {
    expect(FINAL.entrypoint).toEqual(['node', '--max-semi-space-size=32', '/opt/intentops/bin/intentops.js']);
    expect(FINAL.cmd).toEqual(['serve', '--model', '/opt/intentops/model']);
    expect(RUNTIME.cmd).toEqual(['serve', '--model', 'models:/intents@champion']);
    expect(cliProblems(FINAL.cmd)).toEqual([]);
    expect(cliProblems(RUNTIME.cmd)).toEqual([]);
    expect(FINAL.copies.at(-1)).toMatchObject({ sources: ['models/intents'], dest: '/opt/intentops/model' });
    expect(imageConfig(DF, undefined, { MODEL_DIR: 'models/v7' }).copies.at(-1)!.sources).toEqual(['models/v7']);
  });

  it('the runtime image holds the compiled app, its production dependencies, bin and prompts — no sources or tests', () => {
    const dests = RUNTIME.copies.map((c) => c.dest).sort();
    expect(dests).toEqual(['/opt/intentops/bin', '/opt/intentops/dist', '/opt/intentops/node_modules', '/opt/intentops/package.json', '/opt/intentops/prompts']);
    expect(RUNTIME.copies.filter((c) => c.from === 'build').map((c) => c.sources[0]).sort()).toEqual(['/src/dist', '/src/node_modules', '/src/package.json']);
    expect(RUNTIME.workdir).not.toMatch(/^\/opt\/intentops/);
  });
});

describe('.dockerignore', () => {
  const rules = readDockerignore(join(ROOT, '.dockerignore'));
  const contextSources = DF.stages.flatMap((s) => imageConfig(DF, s.name).copies.filter((c) => !c.from).flatMap((c) => c.sources));

  it('keeps every file the Dockerfile copies from the context', () => {
    expect(contextSources).toContain('src');
    for (const src of [...new Set(contextSources)]) expect(isIgnored(rules, src), src).toBe(false);
    for (const f of ['src/app/cli/main.ts', 'models/intents/manifest.json', 'prompts/classify-v1.md']) expect(isIgnored(rules, f), f).toBe(false);
  });

  it('leaves out build outputs, dependencies, git, secrets, local stores and tests', () => {
    for (const f of ['node_modules/hono/package.json', 'dist/app/cli/main.js', '.git/config', '.env', 'intentops.db', 'intentops-artifacts/sha256/x', 'src/app/config.test.ts', 'test/e2e/serve.test.ts', 'data/sample/tickets.csv']) {
      expect(isIgnored(rules, f), f).toBe(true);
    }
  });

  it('matches as Docker does: last pattern wins, ** spans directories, a directory pattern covers its contents', () => {
    const r = parseDockerignore('*\n!src/\nsrc/**/*.test.ts\n!src/keep.test.ts\n');
    expect([isIgnored(r, 'a.txt'), isIgnored(r, 'src/a.ts'), isIgnored(r, 'src/x/y/a.test.ts'), isIgnored(r, 'src/keep.test.ts'), isIgnored(r, 'srcx/a.ts')]).toEqual([true, false, true, false, true]);
  });

  it('the test parser follows stage inheritance and refuses the shell form', () => {
    const df = parseDockerfile('ARG B=node:20\nFROM ${B} AS a\nENV X=1\nENTRYPOINT ["x"]\nCMD ["y"]\nFROM a AS b\nENV Y=$X\nENTRYPOINT ["z"]\n');
    expect(imageConfig(df)).toMatchObject({ env: { X: '1', Y: '1' }, entrypoint: ['z'], cmd: [] });
    expect(() => imageConfig(parseDockerfile('FROM node:20\nCMD node x.js\n'))).toThrow(/JSON/);
  });
});
