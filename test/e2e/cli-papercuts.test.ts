import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openTrackingStore } from '../../src/adapters/tracking/index.js';
import { buildCli, runCli } from '../../src/app/cli/main.js';
import { listen } from '../../src/app/http/index.js';
import { tempDir } from '../helpers/sample.js';
import { testServing } from '../helpers/serving.js';

/**
 * The CLI in-process (real argv parsing, real stores on temp files): what a new user hits in the
 * first hour (issue #13). Each command gets its own streams; the exit code is process.exitCode.
 */
async function cli(args: string[], env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (d) => (o += d));
  stderr.on('data', (d) => (e += d));
  process.exitCode = 0;
  await runCli(args, { stdout, stderr, stdin: Readable.from([]), env: { PATH: process.env.PATH, HOME: process.env.HOME, ...base, ...env } });
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stdout: o, stderr: e };
}

const dir = tempDir();
/** Every store on a temp file, never in the repository. */
const base: Record<string, string> = {
  INTENTOPS_TRACKING_URI: `sqlite:${join(dir, 'runs.db')}`,
  INTENTOPS_REGISTRY_URI: `sqlite:${join(dir, 'registry.db')}`,
  INTENTOPS_ARTIFACTS_URI: `file:${join(dir, 'artifacts')}`,
  INTENTOPS_REVIEW_URI: `sqlite:${join(dir, 'review.db')}`,
  INTENTOPS_EVENTS_URI: `sqlite:${join(dir, 'events.db')}`,
};

afterEach(() => {
  process.exitCode = 0;
});

/** Every `--flag` a message names must be an option of that command (or a global one). */
function flagsOf(path: string[]): Set<string> {
  let cmd = buildCli({ stdout: new PassThrough(), stderr: new PassThrough(), stdin: Readable.from([]), env: {} });
  const flags = new Set(cmd.options.map((o) => o.long!));
  for (const name of path) {
    cmd = cmd.commands.find((c) => c.name() === name)!;
    for (const o of cmd.options) flags.add(o.long!);
  }
  return flags;
}
function expectOnlyRealFlags(message: string, path: string[]) {
  const named = [...message.matchAll(/--[a-z][a-z-]*/g)].map((m) => m[0]);
  const real = flagsOf(path);
  expect(named.filter((f) => !real.has(f))).toEqual([]);
}

describe('rollout status', () => {
  it('reports that nothing is being rolled out when the registry is empty, and exits 0', async () => {
    const r = await cli(['rollout', 'status']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^nothing is being rolled out: the registry holds no models/);
    const j = await cli(['rollout', 'status', '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual({ name: null, mode: 'off', reason: 'the registry holds no models' });
  });

  it('says the same of a server (--url) that serves a model directory, and exits 0', { timeout: 120_000 }, async () => {
    const s = await testServing();
    const server = await listen(s.app, { host: '127.0.0.1', port: 0 });
    try {
      const r = await cli(['rollout', 'status', '--url', server.url]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^nothing is being rolled out: the server serves a model directory, not a registry champion/);
      // a server that is not there is still an error
      await server.close(1000);
      const gone = await cli(['rollout', 'status', '--url', server.url]);
      expect(gone.code).not.toBe(0);
      expect(gone.stderr).toMatch(/cannot reach/);
    } finally {
      await server.close(1000).catch(() => undefined);
      await s.close();
    }
  });

  it('still fails for a model that is not there when one is named', async () => {
    const r = await cli(['rollout', 'status', '--name', 'nope']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/nope/);
  });
});

describe('runs list', () => {
  beforeAll(async () => {
    const store = await openTrackingStore(base.INTENTOPS_TRACKING_URI);
    try {
      await store.createRun({ name: 'tickets', status: 'finished', params: { embedder: { name: 'hashed', config: { dim: 512 } } }, metrics: { valAccuracy: 0.9 }, environment: { node: 'v20', platform: 'linux', arch: 'x64', cpus: 2 } });
      await store.createRun({ name: 'older', status: 'finished', params: { embedder: 'onnx' }, environment: { node: 'v20', platform: 'linux', arch: 'x64', cpus: 2 } });
    } finally {
      await store.close();
    }
  });

  it('prints the embedder name, not [object Object]', async () => {
    const r = await cli(['runs', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('[object Object]');
    expect(r.stdout).toMatch(/tickets\s+hashed\s+acc 90\.00%/);
    expect(r.stdout).toMatch(/older\s+onnx/);
  });
});

describe('hints name only flags that exist', () => {
  it('data check on a file of unknown type says how to name it, not a --format flag', async () => {
    const bin = join(dir, 'binary.bin');
    writeFileSync(bin, Buffer.from([0, 1, 2, 255, 254, 10, 13]));
    const r = await cli(['data', 'check', bin]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${bin}: cannot tell the format`);
    expect(r.stderr).toMatch(/hint: give the file one of the extensions \.csv \.tsv \.jsonl \.ndjson \.json/);
    expect(r.stderr).not.toMatch(/pass the format/);
    expectOnlyRealFlags(r.stderr, ['data', 'check']);
  });

  it('review list --limit past the maximum names --limit and pages with --after', async () => {
    const r = await cli(['review', 'list', '--limit', '100000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --limit: --limit must be an integer from 1 to \d+, got 100000/);
    expect(r.stderr).toMatch(/hint: .*--after/);
    expect(r.stderr).not.toContain('{ after:');
    expectOnlyRealFlags(r.stderr, ['review', 'list']);
  });
});

describe('data check positions', () => {
  it('an empty file fails at file:1 with what it should contain', async () => {
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    const r = await cli(['data', 'check', empty]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${empty}:1: the file is empty`);
    expect(r.stderr).toMatch(/hint: a csv data file needs a header line "text,label"/);
    expect(r.stdout).not.toMatch(/0 usable rows/);
  });

  it('an unclosed quote is reported on the line it was opened, not at the end of the file', async () => {
    const q = join(dir, 'quote.csv');
    writeFileSync(q, 'text,label\nhello there,greet\n"unclosed quote,greet\nanother row,greet\nmore,greet\n');
    const r = await cli(['data', 'check', q]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${q}:3: a quoted field opened on line 3 is never closed`);
  });
});
