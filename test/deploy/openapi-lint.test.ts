import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey, listen, type RunningServer } from '../../src/app/http/index.js';
import { ROOT, tempDir } from '../helpers/sample.js';
import { testServing, type TestServing } from '../helpers/serving.js';

/*
 * The /openapi.json a real server serves, checked by redocly's linter with its recommended rules
 * (redocly.yaml turns two off, each with its reason) — with API keys on and off — plus what those
 * two rules would have caught everywhere their reasons do not reach.
 */

interface Operation {
  security?: Record<string, string[]>[];
  responses: Record<string, unknown>;
  operationId: string;
}
type Doc = { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const servers: { s: TestServing; server: RunningServer; doc: Doc }[] = [];

async function served(flags: Record<string, unknown>): Promise<Doc> {
  const s = await testServing({ flags });
  const server = await listen(s.app, { host: '127.0.0.1', port: 0 });
  const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as Doc;
  servers.push({ s, server, doc });
  return doc;
}

function redocly(doc: Doc): { errors: number; warnings: number; problems: { ruleId: string; message: string }[] } {
  const file = join(tempDir('intentops-openapi-'), 'openapi.json');
  writeFileSync(file, JSON.stringify(doc));
  const r = spawnSync(join(ROOT, 'node_modules/.bin/redocly'), ['lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format=json'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  });
  if (r.error) throw r.error;
  const out = JSON.parse(r.stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
  expect(r.status, r.stderr).toBe(out.totals.errors > 0 ? 1 : 0);
  return { ...out.totals, problems: out.problems };
}

const operations = (doc: Doc) => Object.entries(doc.paths).flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => ({ path, method: m, op: item[m] })));

let withKeys: Doc;
let open: Doc;

beforeAll(async () => {
  withKeys = await served({ server: { apiKeys: [{ name: 'lint', sha256: hashKey('sk-lint') }] } });
  open = await served({});
}, 120_000);

afterAll(async () => {
  for (const { s, server } of servers) {
    await server.close(1000);
    await s.close();
  }
});

describe('/openapi.json under redocly lint (recommended rules)', () => {
  it('no error and no warning, with API keys on and off', () => {
    for (const doc of [withKeys, open]) {
      const r = redocly(doc);
      expect(r.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
      expect([r.errors, r.warnings]).toEqual([0, 0]);
    }
  });

  it('the linter does fail on what the recommended rules forbid (an operation without security, a missing licence)', () => {
    const broken = structuredClone(withKeys) as Doc & { info: Record<string, unknown> };
    delete broken.paths['/v1/classify'].post.security;
    delete broken.info.license;
    const r = redocly(broken);
    expect(r.problems.map((p) => p.ruleId).sort()).toEqual(['info-license', 'security-defined']);
  });

  it('every /v1 operation requires an API key scheme and declares its 4xx answers; the rest are open and need none', () => {
    for (const doc of [withKeys, open]) {
      const schemes = Object.keys(doc.components.securitySchemes);
      for (const { path, method, op } of operations(doc)) {
        const where = `${method.toUpperCase()} ${path}`;
        if (path.startsWith('/v1/')) {
          expect(op.security!.length, where).toBeGreaterThan(0);
          for (const req of op.security!) for (const k of Object.keys(req)) expect(schemes, where).toContain(k);
          expect(Object.keys(op.responses).filter((s) => /^4\d\d$/.test(s)), where).toContain('401');
        } else {
          expect(op.security, where).toEqual([]);
        }
      }
    }
  });

  it('/dashboard/ is the only path with a trailing slash (its assets resolve relative to it)', () => {
    expect(Object.keys(withKeys.paths).filter((p) => p.endsWith('/'))).toEqual(['/dashboard/']);
  });

  it('the committed document (npm run lint:openapi, the generated client) is the one served with keys on', async () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/openapi.ts')], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const { info: _a, ...script } = JSON.parse(r.stdout) as Record<string, unknown>;
    const { info: _b, ...fromServer } = withKeys as unknown as Record<string, unknown>;
    expect(script).toEqual(fromServer);
  });
});
