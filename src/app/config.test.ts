import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_CATALOGUE, loadConfig, maskSecrets } from './config.js';
import { tempDir } from '../../test/helpers/sample.js';

describe('configuration', () => {
  it('has offline defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c).toMatchObject({ embedder: 'hashed', index: 'auto', seed: 42, targetPrecision: 0.97 });
  });

  it('applies flags over env over file over defaults', () => {
    const dir = tempDir();
    const file = join(dir, 'intentops.yaml');
    writeFileSync(file, 'seed: 1\nembedder: onnx\ntargetPrecision: 0.9\n');
    const c = loadConfig({ file, env: { INTENTOPS_SEED: '2', INTENTOPS_EMBEDDER: 'hashed' }, flags: { seed: 3 } });
    expect(c.seed).toBe(3);
    expect(c.embedder).toBe('hashed');
    expect(c.targetPrecision).toBe(0.9);
  });

  it('names the file line of a bad value, or the env variable', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'embedder: hashed\n\ntargetPrecision: 2\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(expect.objectContaining({ where: `${file}:3 (targetPrecision)` }));
    writeFileSync(file, 'seed: [\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(expect.objectContaining({ code: 'invalid_config' }));
    expect(() => loadConfig({ env: { INTENTOPS_SEED: 'x' } })).toThrow(expect.objectContaining({ where: 'env INTENTOPS_SEED (seed)' }));
    expect(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })).toThrow(/does not exist/);
  });

  it('refuses a setting it does not know, with its file line and the nearest known name, instead of ignoring it', () => {
    const dir = tempDir();
    const file = join(dir, 'typo.yaml');
    writeFileSync(file, 'seed: 1\ncache:\n  uri: memory\n  ttlMS: 1000\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(expect.objectContaining({ code: 'invalid_config', message: 'cache.ttlMS: unknown setting', where: `${file}:4 (cache.ttlMS)`, hint: expect.stringMatching(/^did you mean cache\.ttlMs\? cache takes ttlMs, uri;/) }));
    writeFileSync(file, 'targetPrecison: 0.99\n');
    expect(() => loadConfig({ file, env: {} })).toThrow(expect.objectContaining({ where: `${file}:1 (targetPrecison)`, hint: expect.stringContaining('did you mean targetPrecision?') }));
    // nothing near: the known names only
    expect(() => loadConfig({ env: {}, flags: { llm: { circuit: { openFor: 5 } } } })).toThrow(expect.objectContaining({ where: 'llm.circuit.openFor', hint: expect.stringMatching(/^llm\.circuit takes cooldownMs, failureThreshold;/) }));
    // keys of a map (prices per model) and list items are the user's own
    expect(loadConfig({ env: {}, flags: { llm: { prices: { 'my-model': { inputPer1M: 1, outputPer1M: 2 } } } } }).llm.prices['my-model']).toEqual({ inputPer1M: 1, outputPer1M: 2 });
    // every environment variable lands on a known setting (a value of the wrong kind may fail otherwise)
    for (const name of Object.keys(ENV_CATALOGUE)) {
      for (const value of ['1', 'true', 'http://127.0.0.1:1', 'x']) {
        try {
          loadConfig({ env: { [name]: value } });
        } catch (e) {
          expect((e as Error).message, name).not.toMatch(/unknown setting/);
        }
      }
    }
  });

  it('masks secrets when printed', () => {
    expect(maskSecrets({ openai: { apiKey: 'sk-abcdef', model: 'm' } })).toEqual({ openai: { apiKey: 'sk-…(9 chars)', model: 'm' } });
  });
});

describe('serving configuration', () => {
  it('has safe serving defaults: loopback, auth off until keys are set, CORS off, SQLite review queue, no LLM', () => {
    const c = loadConfig({ env: {} });
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 8080, maxBatch: 256, bodyLimitBytes: 65536, batchBodyLimitBytes: 1048576, maxTextLength: 5000, apiKeys: [], cors: [] });
    expect(c.server.rateLimit).toEqual({ ratePerSecond: 50, burst: 100, uri: 'memory' });
    expect(c.cache).toEqual({ uri: 'memory', ttlMs: 3_600_000 });
    expect(c.review.uri).toBe('sqlite:./intentops.db');
    expect(c.llm.provider).toBe('none');
    expect(c.logging).toEqual({ level: 'info', texts: false, requestSampleRate: 0, summarySeconds: 60 });
  });

  it('reads the serving env variables with their types', () => {
    const c = loadConfig({
      env: {
        INTENTOPS_PORT: '9000',
        INTENTOPS_CORS_ORIGINS: 'https://a.example, https://b.example',
        INTENTOPS_API_KEYS: `ops:${'a'.repeat(64)}`,
        INTENTOPS_LOG_TEXTS: 'true',
        INTENTOPS_RATE_LIMIT_RPS: '2.5',
        OPENAI_API_KEY: 'sk-shared',
        INTENTOPS_LLM_PROVIDER: 'openai-chat',
      },
    });
    expect(c.server.port).toBe(9000);
    expect(c.server.cors).toEqual(['https://a.example', 'https://b.example']);
    expect(c.server.apiKeys).toEqual([{ name: 'ops', sha256: 'a'.repeat(64) }]);
    expect(c.logging.texts).toBe(true);
    expect(c.server.rateLimit.ratePerSecond).toBe(2.5);
    // one OpenAI key serves the embedder and the chat fallback
    expect(c.openai.apiKey).toBe('sk-shared');
    expect(c.llm.apiKey).toBe('sk-shared');
    expect(c.llm.provider).toBe('openai-chat');
  });

  it('names the env variable of a bad serving value', () => {
    expect(() => loadConfig({ env: { INTENTOPS_PORT: 'eighty' } })).toThrow(expect.objectContaining({ where: 'env INTENTOPS_PORT (server.port)' }));
    expect(() => loadConfig({ env: { INTENTOPS_LLM_PROVIDER: 'claude' } })).toThrow(expect.objectContaining({ where: 'env INTENTOPS_LLM_PROVIDER (llm.provider)' }));
  });

  it('masks store passwords and key hashes when printed', () => {
    const c = loadConfig({ env: { INTENTOPS_REVIEW_URI: 'postgres://app:hunter2@db:5432/ops', INTENTOPS_API_KEYS: `ops:${'b'.repeat(64)}` } });
    const shown = JSON.stringify(maskSecrets(c));
    expect(shown).toContain('postgres://app:***@db:5432/ops');
    expect(shown).not.toContain('hunter2');
    expect(shown).not.toContain('b'.repeat(64));
  });

  it('masks every OTLP header value, whatever its name', () => {
    const c = loadConfig({ env: { OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc123,x-honeycomb-team=hc_secret' } });
    const shown = maskSecrets(c) as typeof c;
    expect(shown.telemetry.otlp.headers).toEqual({ authorization: '***', 'x-honeycomb-team': '***' });
    expect(JSON.stringify(shown)).not.toContain('abc123');
  });
});
