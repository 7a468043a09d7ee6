import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'vitest';
import { loadConfig } from '../../src/app/config.js';
import { openServing, type Serving } from '../../src/app/container/index.js';
import { createLogger } from '../../src/app/telemetry/index.js';
import { ClassifyResultSchema } from '../../src/app/http/schemas.js';
import { SAMPLE_TRAIN, tempDir } from './sample.js';
import { trainBundle } from './trained.js';

/** A confident message and an unsure one for the bundled sample model (seed 7). */
export const CONFIDENT = 'where is my parcel? tracking shows nothing';
export const UNSURE = 'hmm ok';

const trained = new Map<number, Promise<string>>();

/** The sample data trained once per test run and seed (test/helpers/trained.ts), copied once per test file. */
export function sampleModel(seed = 7): Promise<string> {
  let p = trained.get(seed);
  if (!p) {
    const dir = join(tempDir('intentops-model-'), `seed-${seed}`);
    p = trainBundle({ data: SAMPLE_TRAIN, out: dir, embedder: 'hashed', seed, name: 'sample' }).then(() => dir);
    trained.set(seed, p);
  }
  return p;
}

/** A copy of a trained bundle the test may damage. */
export function copyModel(dir: string): string {
  const to = join(tempDir('intentops-model-copy-'), 'model');
  cpSync(dir, to, { recursive: true });
  return to;
}

export interface TestServing extends Serving {
  /** Every log line written so far, parsed. */
  readonly logs: Record<string, unknown>[];
  /** Raw log text, to check what must never appear in it. */
  logText(): string;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
}

/**
 * The real serving stack (real adapters: SQLite in memory, LRU cache) over the sample model,
 * configured as `intentops serve` would be from flags and env; logs captured in memory.
 */
export async function testServing(o: { flags?: Record<string, unknown>; env?: Record<string, string>; modelDir?: string } = {}): Promise<TestServing> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  // every store in memory (or off): a test server never writes ./intentops.db. No live-precision
  // audit unless a test asks for one: the default 1 % of accepted answers, picked by the random
  // request id, would now and then add an LLM judge call or an `audit` review item to what a test counts
  const monitor = (o.flags?.monitor ?? {}) as Record<string, unknown>;
  const flags = { review: { uri: 'sqlite::memory:' }, events: { uri: 'sqlite::memory:' }, tracking: { uri: 'none' }, ...o.flags, monitor: { ...monitor, audit: { sampleRate: 0, ...(monitor.audit as object | undefined) } } };
  const c = loadConfig({ env: o.env ?? {}, flags });
  const serving = await openServing(c, { modelDir: o.modelDir ?? (await sampleModel()), log: createLogger({ level: 'debug', destination: sink }) });
  const req = (path: string, init: RequestInit) => Promise.resolve(serving.app.request(path, init));
  return {
    ...serving,
    get logs() {
      return lines.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    logText: () => lines.join(''),
    post: (path: string, body: unknown, headers: Record<string, string> = {}) =>
      req(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body) }),
    get: (path: string, headers: Record<string, string> = {}) => req(path, { headers }),
  };
}

/** POST /v1/classify with one text: the answer, checked against the API schema (a status other than 200 fails the test). */
export async function classifyOne(s: TestServing, text: string) {
  const res = await s.post('/v1/classify', { text });
  expect(res.status).toBe(200);
  return ClassifyResultSchema.parse(await res.json());
}

/** The value of one Prometheus series in a /metrics text (0 when absent). */
export function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
