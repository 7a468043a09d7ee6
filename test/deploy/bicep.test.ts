/**
 * deploy/azure/main.bicep cannot be compiled here (no Bicep CLI or Azure CLI on this machine, and
 * nothing may be downloaded): these checks are what plain parsing can establish. `az bicep
 * build -f deploy/azure/main.bicep` on a machine that has it is the full check.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/sample.js';
import { bracketProblems, mask, parseBicep } from './bicep.js';
import { imageConfig, readDockerfile } from './dockerfile.js';
import { cliProblems, unknownEnv } from './known.js';

const DIR = join(ROOT, 'deploy/azure');
const B = parseBicep(readFileSync(join(DIR, 'main.bicep'), 'utf8'));
const PARAMS = JSON.parse(readFileSync(join(DIR, 'main.parameters.json'), 'utf8')) as { $schema: string; parameters: Record<string, { value: unknown }> };

/** Resource types and API versions this template may use: stable (non-preview) versions that exist. */
const KNOWN_TYPES: Record<string, string[]> = {
  'Microsoft.OperationalInsights/workspaces': ['2022-10-01', '2023-09-01'],
  'Microsoft.Insights/components': ['2020-02-02'],
  'Microsoft.ManagedIdentity/userAssignedIdentities': ['2023-01-31'],
  'Microsoft.ContainerRegistry/registries': ['2023-07-01'],
  'Microsoft.Authorization/roleAssignments': ['2022-04-01'],
  'Microsoft.App/managedEnvironments': ['2024-03-01'],
  'Microsoft.App/containerApps': ['2024-03-01'],
};
/** Functions the template calls (Bicep built-ins, decorators, and listKeys on a resource). */
const FUNCTIONS = new Set(['resourceGroup', 'guid', 'subscriptionResourceId', 'json', 'string', 'concat', 'loadTextContent', 'listKeys', 'secure', 'description', 'minLength', 'maxLength', 'minValue', 'maxValue', 'allowed']);

const appBlock = (symbol: string) => {
  const start = B.clean.indexOf(`resource ${symbol} '`);
  const end = B.clean.indexOf('\nresource ', start + 1);
  return B.clean.slice(start, end < 0 ? B.clean.indexOf('\noutput ') : end);
};
const collectorBlock = () => B.clean.slice(B.clean.indexOf('var collector = {'), B.clean.indexOf('var collectorVolumes'));

describe('deploy/azure/main.bicep (parsed, not compiled)', () => {
  it('has balanced brackets, closed strings, and no double-quoted strings (Bicep has none)', () => {
    expect(bracketProblems(B.code)).toEqual([]);
    expect(B.code.includes('"')).toBe(false);
    expect(bracketProblems(mask("var a = { b: [ 'x]' ]\n").code)).toEqual(['1: { is never closed']);
  });

  it('declares only resource types and API versions from the known list', () => {
    expect(B.resources.map((r) => r.symbol)).toEqual(['logs', 'insights', 'identity', 'acr', 'acrPull', 'appsEnvironment', 'api', 'worker']);
    for (const r of B.resources) expect(KNOWN_TYPES[r.type] ?? [], `${r.type}@${r.apiVersion}`).toContain(r.apiVersion);
    expect(B.resources.filter((r) => r.existing).map((r) => r.symbol)).toEqual(['acr']);
  });

  it('uses every parameter and variable, and calls only known functions', () => {
    const uses = (name: string) => [...B.code.matchAll(new RegExp(`\\b${name}\\b`, 'g'))].length;
    for (const p of B.params) expect(uses(p.name), `param ${p.name}`).toBeGreaterThanOrEqual(2);
    for (const v of B.vars) expect(uses(v), `var ${v}`).toBeGreaterThanOrEqual(2);
    const called = new Set([...B.code.matchAll(/\b(\w+)\(/g)].map((m) => m[1]));
    expect([...called].filter((f) => !FUNCTIONS.has(f))).toEqual([]);
  });

  it('dereferences only declared symbols (a misspelt symbol before `.` is caught)', () => {
    const symbols = new Set([...B.params.map((p) => p.name), ...B.vars, ...B.resources.map((r) => r.symbol)]);
    const deref = new Set([...B.code.matchAll(/(?<![\w.)])([A-Za-z_]\w*)\./g)].map((m) => m[1]));
    expect([...deref].filter((s) => !symbols.has(s))).toEqual([]);
  });

  it('marks every secret parameter @secure(), gives secrets no default, and outputs none of them', () => {
    const secretLike = B.params.filter((p) => /uri|key|password|secret|hash|connection/i.test(p.name));
    expect(secretLike.map((p) => p.name).sort()).toEqual(['apiKeyHashes', 'azureOpenAiApiKey', 'brokerUri', 'postgresUri', 'redisUri']);
    for (const p of secretLike) expect(p.secure, p.name).toBe(true);
    for (const p of B.params.filter((x) => x.secure)) expect(p.hasDefault, p.name).toBe(false);
    for (const o of B.outputs) for (const p of B.params.filter((x) => x.secure)) expect(o.expression, o.name).not.toMatch(new RegExp(`\\b${p.name}\\b`));
    expect(B.params.every((p) => /@description\(/.test(p.decorators))).toBe(true);
  });

  it('passes secrets by reference: every secretRef names a declared secret with a valid name', () => {
    const secrets = [...B.clean.slice(B.clean.indexOf('var secrets = ['), B.clean.indexOf('var appEnv')).matchAll(/\{ name: '([^']+)', value: /g)].map((m) => m[1]);
    expect(secrets.length).toBeGreaterThan(5);
    for (const s of secrets) expect(s).toMatch(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/);
    for (const [, ref] of B.clean.matchAll(/secretRef: '([^']+)'/g)) expect(secrets, ref).toContain(ref);
    // the secure parameters reach the apps only as secrets
    for (const p of B.params.filter((x) => x.secure)) expect(B.clean).toMatch(new RegExp(`\\{ name: '[a-z-]+', value: ${p.name} \\}`));
  });

  it('sets only environment variables the app (or the collector) reads, Azure OpenAI and Application Insights included', () => {
    const names = [...B.clean.matchAll(/\{ name: '([A-Z][A-Z0-9_]*)', (?:value|secretRef): /g)].map((m) => m[1]);
    expect(unknownEnv(names)).toEqual([]);
    for (const n of ['AZURE_OPENAI_ENDPOINT', 'AZURE_OPENAI_API_KEY', 'AZURE_OPENAI_CHAT_DEPLOYMENT', 'INTENTOPS_LLM_PROVIDER', 'APPLICATIONINSIGHTS_CONNECTION_STRING', 'OTEL_EXPORTER_OTLP_ENDPOINT']) expect(names).toContain(n);
    expect(B.clean).toMatch(/name: 'AZURE_OPENAI_API_KEY', secretRef: /);
  });

  it('the API: external ingress on the image port, /healthz and /readyz probes, scaling on concurrent requests', () => {
    const api = appBlock('api');
    const port = imageConfig(readDockerfile(join(ROOT, 'Dockerfile'))).env.INTENTOPS_PORT;
    expect(B.clean).toContain(`var appPort = ${port}`);
    expect(api).toMatch(/external: true\s+targetPort: appPort/);
    const probes = [...api.matchAll(/type: '(\w+)', httpGet: \{ path: '([^']+)', port: appPort \}/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(probes).toEqual(['Startup /healthz', 'Liveness /healthz', 'Readiness /readyz']);
    // Container Apps limits: failureThreshold 1–10, periodSeconds 1–240
    for (const [, n] of api.matchAll(/failureThreshold: (\d+)/g)) expect(Number(n)).toBeLessThanOrEqual(10);
    expect(api).toMatch(/minReplicas: apiMinReplicas\s+maxReplicas: apiMaxReplicas/);
    expect(api).toMatch(/http: \{\s+metadata: \{\s+concurrentRequests: string\(apiConcurrentRequests\)/);
  });

  it('runs the intentops commands that parse, in containers named as the deploy workflow updates them', () => {
    const args = (block: string) => [...(/args: \[([\s\S]*?)\]/.exec(block)![1].matchAll(/'([^']*)'/g))].map((m) => m[1]);
    expect(args(appBlock('api'))).toEqual(['serve', '--model', '/opt/intentops/model']);
    expect(args(appBlock('worker'))).toEqual(['worker', '--model', '/opt/intentops/model']);
    for (const b of [appBlock('api'), appBlock('worker')]) expect(cliProblems(args(b))).toEqual([]);
    expect(appBlock('api')).toContain("name: 'api'");
    expect(appBlock('worker')).toContain("name: 'worker'");
  });

  it('sizes each replica as Container Apps allows (memory = 2 × CPU, 0.25-CPU steps, at most 4 CPU)', () => {
    const sizes = (block: string) => [...block.matchAll(/cpu: json\('([\d.]+)'\)\s+memory: '([\d.]+)Gi'/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const sidecar = sizes(collectorBlock());
    for (const symbol of ['api', 'worker']) {
      const all = [...sizes(appBlock(symbol)), ...sidecar];
      expect(all.length).toBe(2);
      const cpu = all.reduce((a, [c]) => a + c, 0);
      const mem = all.reduce((a, [, m]) => a + m, 0);
      expect([mem, Number.isInteger(cpu * 4), cpu <= 4], symbol).toEqual([cpu * 2, true, true]);
    }
  });

  it('the collector sidecar config exports to Application Insights from the OTLP port the app sends to', () => {
    expect(B.clean).toContain("loadTextContent('otel-collector.yaml')");
    const config = parse(readFileSync(join(DIR, 'otel-collector.yaml'), 'utf8')) as Record<string, any>;
    expect(config.exporters.azuremonitor.connection_string).toBe('${env:APPLICATIONINSIGHTS_CONNECTION_STRING}');
    for (const [name, p] of Object.entries(config.service.pipelines as Record<string, Record<string, string[]>>)) {
      for (const kind of ['receivers', 'processors', 'exporters']) for (const c of p[kind]) expect(config[kind][c], `${name}.${kind}.${c}`).toBeDefined();
      expect(p.exporters, name).toContain('azuremonitor');
    }
    const endpoint = /name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: '([^']+)'/.exec(B.clean)![1];
    expect(config.receivers.otlp.protocols.http.endpoint).toBe(new URL(endpoint).host);
    expect(collectorBlock()).toContain("mountPath: '/etc/otelcol-contrib'");
  });
});

describe('deploy/azure/main.parameters.json', () => {
  it('is a deployment parameters file naming only declared, non-secret parameters with values of their type', () => {
    expect(PARAMS.$schema).toMatch(/deploymentParameters\.json#$/);
    const byName = new Map(B.params.map((p) => [p.name, p]));
    for (const [name, { value }] of Object.entries(PARAMS.parameters)) {
      const p = byName.get(name);
      expect(p, name).toBeDefined();
      expect(p!.secure, `${name} is a secret: pass it at deploy time`).toBe(false);
      expect(typeof value, name).toBe(p!.type === 'int' ? 'number' : p!.type === 'bool' ? 'boolean' : 'string');
    }
  });

  it('with the secrets given at deploy time, every parameter without a default has a value', () => {
    const missing = B.params.filter((p) => !p.hasDefault && !(p.name in PARAMS.parameters));
    expect(missing.every((p) => p.secure)).toBe(true);
    expect(missing.map((p) => p.name).sort()).toEqual(['apiKeyHashes', 'azureOpenAiApiKey', 'brokerUri', 'postgresUri', 'redisUri']);
  });
});
