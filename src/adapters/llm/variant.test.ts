import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IntentOpsError } from '../../core/errors.js';
import { chatOptionsOf, loadVariant, parseVariant } from './variant.js';

const TEMPLATE = ['<!-- system -->', 'Pick one of:', '{{intents}}', '<!-- user -->', '{{examples}}', '{{message}}', 'JSON only.'].join('\n');
const md = (settings: string, template = TEMPLATE) => `---\n${settings}\n---\n${template}\n`;
const GOOD = 'provider: openai-compatible\nmodel: llama3.2\nbaseUrl: http://localhost:11434/v1\nprice: { inputPer1M: 0, outputPer1M: 0 }';

async function error(p: Promise<unknown>): Promise<IntentOpsError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(IntentOpsError);
  return e as IntentOpsError;
}

describe('LLM variant files', () => {
  it('reads front matter and template; the version is a content hash that ignores the name', async () => {
    const v = await parseVariant(md(GOOD), 'prompts/local-v1.md');
    expect(v).toMatchObject({ name: 'local-v1', settings: { provider: 'openai-compatible', model: 'llama3.2', temperature: 0, maxTokens: 64, responseFormat: 'json_schema' } });
    expect(v.hash).toMatch(/^[0-9a-f]{12}$/);
    expect(v.template.system).toBe('Pick one of:\n{{intents}}');
    const renamed = await parseVariant(md(`name: other\ndescription: same thing\n${GOOD}`), 'x.md');
    expect(renamed.name).toBe('other');
    expect(renamed.hash).toBe(v.hash);
    expect((await parseVariant(md(GOOD.replace('llama3.2', 'qwen2.5')), 'x.md')).hash).not.toBe(v.hash);
    expect((await parseVariant(md(GOOD, TEMPLATE.replace('JSON only.', 'Only JSON.')), 'x.md')).hash).not.toBe(v.hash);
    expect(chatOptionsOf(v, {})).toMatchObject({ model: 'llama3.2', baseUrl: 'http://localhost:11434/v1', prices: { 'llama3.2': { inputPer1M: 0, outputPer1M: 0 } } });
  });

  it('reads the YAML form with an inline template or a promptFile, same hash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intentops-variant-'));
    writeFileSync(join(dir, 'classify.md'), TEMPLATE);
    writeFileSync(join(dir, 'a.yaml'), `${GOOD}\npromptFile: classify.md\n`);
    const indented = TEMPLATE.split('\n').map((l) => `  ${l}`).join('\n');
    writeFileSync(join(dir, 'b.yaml'), `${GOOD}\ntemplate: |\n${indented}\n`);
    const [a, b] = [await loadVariant(join(dir, 'a.yaml')), await loadVariant(join(dir, 'b.yaml'))];
    expect(a.hash).toBe(b.hash);
    expect(a.name).toBe('a');
  });

  it('names the file and line of a bad setting, with how to fix it', async () => {
    let e = await error(parseVariant(md('provider: openai-compatible\nmodel: m\nbaseUrl: http://x/v1\ntemprature: 0.2\nprice: { inputPer1M: 0, outputPer1M: 0 }'), 'v/bad.md'));
    expect(e.where).toBe('v/bad.md:5 (temprature)');
    expect(e.message).toMatch(/unknown setting "temprature"/);
    expect(e.hint).toMatch(/temperature/);
    e = await error(parseVariant(md('provider: openai-compatible\nmodel: m\nbaseUrl: http://x/v1\ntemperature: 3\nprice: { inputPer1M: 0, outputPer1M: 0 }'), 'bad.md'));
    expect(e.where).toBe('bad.md:5 (temperature)');
    e = await error(parseVariant(md('provider: openai-compatible\nmodel: m\nprice: { inputPer1M: 0, outputPer1M: 0 }'), 'bad.md'));
    expect(e.message).toMatch(/'baseUrl' is required with provider 'openai-compatible'/);
    e = await error(parseVariant(md('provider: azure\nendpoint: https://r.openai.azure.com\nprice: {inputPer1M: 1}'), 'az.md'));
    expect(e.where).toBe('az.md:4 (price.outputPer1M)'); // a missing key: the line of its parent
    e = await error(parseVariant(md('provider: azure\nendpoint: https://r.openai.azure.com\nprice: {inputPer1M: 1, outputPer1M: 2}'), 'az.md'));
    expect(e.where).toBe('az.md:2 (deployment)');
    expect(e.message).toMatch(/'deployment' is required with provider 'azure'/);
    e = await error(parseVariant(md('provider: openai\nmodel: [unclosed'), 'syntax.md'));
    expect(e.where).toMatch(/^syntax\.md:3$/);
    expect(e.message).toMatch(/invalid YAML/);
  });

  it('names the template line of a template error, counted from the variant file', async () => {
    const e = await error(parseVariant(md(GOOD, TEMPLATE.replace('{{examples}}', '{{exemples}}')), 'p/t.md'));
    // 6 settings lines (with the --- lines), then the template: {{exemples}} is its 5th line
    expect(e.where).toBe('p/t.md:11');
    expect(e.message).toMatch(/unknown placeholder \{\{exemples\}\}/);
    const missing = await error(parseVariant(md(GOOD, ''), 'p/t.md'));
    expect(missing.message).toMatch(/prompt template: expected a "<!-- system -->" line/);
    const noTemplate = await error(parseVariant(GOOD, 'p/t.yaml'));
    expect(noTemplate.message).toMatch(/no prompt template/);
  });

  it('asks for the API key of a hosted provider by its variable, never from the file', async () => {
    const v = await parseVariant(md('provider: openai\nmodel: gpt-4o-mini\nprice: { inputPer1M: 0.15, outputPer1M: 0.6 }'), 'o.md');
    expect(() => chatOptionsOf(v, {})).toThrow(/needs an API key in \$OPENAI_API_KEY/);
    expect(chatOptionsOf(v, { OPENAI_API_KEY: 'sk-x' })).toMatchObject({ apiKey: 'sk-x', model: 'gpt-4o-mini' });
    const az = await parseVariant(md('provider: azure\nendpoint: https://r.openai.azure.com\ndeployment: mini\napiKeyEnv: AZ_KEY\nprice: { inputPer1M: 0.15, outputPer1M: 0.6 }'), 'az.md');
    expect(chatOptionsOf(az, { AZ_KEY: 'k' })).toMatchObject({ apiKey: 'k', azure: { endpoint: 'https://r.openai.azure.com', deployment: 'mini' } });
  });
});

describe('the committed example variants', () => {
  it('all parse, and use the shipped template', async () => {
    const { readdirSync } = await import('node:fs');
    const dir = join(import.meta.dirname, '..', '..', '..', 'prompts', 'variants');
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    const hashes = new Set<string>();
    for (const f of files) {
      const v = await loadVariant(join(dir, f));
      expect(v.template.user).toContain('{{message}}');
      hashes.add(v.hash);
    }
    expect(hashes.size).toBe(files.length);
  });
});
