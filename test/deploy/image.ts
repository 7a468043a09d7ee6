/**
 * The image without a container engine: lays out a stage's files as its COPY steps would
 * (under a temp "root filesystem"), then runs its ENTRYPOINT + CMD with its ENV and WORKDIR,
 * container paths mapped into that root. What comes from the build stage's RUN steps is supplied
 * by the caller: `dist` from a fresh `npm run build`, `node_modules` linked from the checkout.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, isAbsolute, join, posix, relative, sep } from 'node:path';
import { ROOT, tempDir } from '../helpers/sample.js';
import type { ImageConfig } from './dockerfile.js';
import { isIgnored, readDockerignore } from './dockerignore.js';

export interface Layout {
  /** The temp directory standing for the container's `/`. */
  readonly rootfs: string;
  readonly config: ImageConfig;
}

const DOCKERIGNORE = readDockerignore(join(ROOT, '.dockerignore'));

/**
 * Fills `rootfs` as `config.copies` fill the image. Context sources are read from the checkout
 * minus what .dockerignore leaves out (an absolute source is a build arg pointing outside it);
 * `--from=build` sources come from the build stage's root `buildRoot`, except node_modules,
 * which is linked to the checkout's (the stand-in for `npm ci`, see buildStage).
 */
export function layOut(rootfs: string, config: ImageConfig, buildRoot?: string): Layout {
  for (const c of config.copies) {
    const dest = posix.isAbsolute(c.dest) ? c.dest : posix.join(c.workdir, c.dest);
    // several sources, or a destination ending in /, copy into that directory
    const intoDir = c.sources.length > 1 || c.dest.endsWith('/');
    for (const src of c.sources) {
      const target = intoDir ? join(rootfs, dest, posix.basename(src)) : join(rootfs, dest);
      mkdirSync(dirname(target), { recursive: true });
      if (c.from === 'build') {
        if (!buildRoot) throw new Error(`Dockerfile:${c.line}: COPY --from=build needs the build stage laid out first`);
        if (posix.basename(src) === 'node_modules') symlinkSync(join(ROOT, 'node_modules'), target, 'dir');
        else cpSync(join(buildRoot, src), target, { recursive: true });
      } else if (c.from) {
        throw new Error(`Dockerfile:${c.line}: COPY --from=${c.from} is not simulated`);
      } else if (isAbsolute(src)) {
        cpSync(src, target, { recursive: true });
      } else {
        if (isIgnored(DOCKERIGNORE, src)) throw new Error(`Dockerfile:${c.line}: ${src} is excluded by .dockerignore`);
        cpSync(join(ROOT, src), target, { recursive: true, filter: (from) => !isIgnored(DOCKERIGNORE, relative(ROOT, from).split(sep).join('/')) });
      }
    }
  }
  mkdirSync(join(rootfs, config.workdir), { recursive: true });
  return { rootfs, config };
}

let built: string | undefined;

/**
 * The build stage, once per test file: its files copied from the context as its COPY steps
 * say, the checkout's node_modules linked in place of `npm ci` (the same lockfile), then its
 * `npm run build` in its WORKDIR. A file the build needs but the stage does not copy (or
 * .dockerignore drops) fails here as it would in `docker build`. Returns the stage's root.
 */
export function buildStage(config: ImageConfig, script = 'build'): string {
  if (built) return built;
  const rootfs = tempDir('intentops-build-stage-');
  layOut(rootfs, config);
  const workdir = join(rootfs, config.workdir);
  symlinkSync(join(ROOT, 'node_modules'), join(workdir, 'node_modules'), 'dir');
  const r = spawnSync('npm', ['run', script], { cwd: workdir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run ${script} in the build stage failed:\n${r.stdout}${r.stderr}`);
  return (built = rootfs);
}

/** A container path as a host path when the layout has it (or it is the working directory). */
export function hostPath(l: Layout, p: string): string {
  if (!p.startsWith('/')) return p;
  const inside = join(l.rootfs, p);
  return existsSync(inside) || p === l.config.workdir ? inside : p;
}

function argv(l: Layout, words: readonly string[]): [string, string[]] {
  const [cmd, ...args] = words.map((w) => hostPath(l, w));
  if (cmd !== 'node') throw new Error(`the image runs ${cmd}; the test can only run node`);
  return [process.execPath, args];
}

/** The image's environment (container paths mapped) over a bare PATH/HOME, plus `overrides`. */
export function containerEnv(l: Layout, overrides: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: hostPath(l, l.config.workdir) };
  for (const [k, v] of Object.entries(l.config.env)) env[k] = hostPath(l, v);
  return { ...env, ...overrides };
}

/** `docker run IMAGE [ARGS…]`: ENTRYPOINT + (ARGS or CMD) in WORKDIR. */
export function run(l: Layout, env: NodeJS.ProcessEnv, args?: readonly string[]): ChildProcess {
  const [cmd, rest] = argv(l, [...l.config.entrypoint, ...(args ?? l.config.cmd)]);
  return spawn(cmd, rest, { cwd: hostPath(l, l.config.workdir), env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `docker run --rm IMAGE ARGS…` to completion. */
export function runSync(l: Layout, env: NodeJS.ProcessEnv, args: readonly string[]): SpawnSyncReturns<string> {
  const [cmd, rest] = argv(l, [...l.config.entrypoint, ...args]);
  return spawnSync(cmd, rest, { cwd: hostPath(l, l.config.workdir), env, encoding: 'utf8' });
}

/** The image's HEALTHCHECK command, run once: its exit status (0 healthy). */
export function healthcheck(l: Layout, env: NodeJS.ProcessEnv): number | null {
  if (!l.config.healthcheck) throw new Error('the image has no HEALTHCHECK');
  const [cmd, rest] = argv(l, l.config.healthcheck.cmd);
  return spawnSync(cmd, rest, { cwd: hostPath(l, l.config.workdir), env, encoding: 'utf8' }).status;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface Started {
  readonly proc: ChildProcess;
  readonly exit: Promise<number | null>;
  output(): string;
}

/** Starts the server and resolves once `url`/healthz answers 200; rejects with its output if it exits first. */
export async function startServer(l: Layout, env: NodeJS.ProcessEnv, url: string, args?: readonly string[]): Promise<Started> {
  const proc = run(l, env, args);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d));
  proc.stderr!.on('data', (d: Buffer) => (out += d));
  let exited = false;
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => ((exited = true), resolve(code))));
  // bounded: 300 tries, 100 ms apart
  for (let i = 0; i < 300 && !exited; i++) {
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) return { proc, exit, output: () => out };
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error(`the image's server did not answer ${url}/healthz (exited: ${exited}):\n${out}`);
}
