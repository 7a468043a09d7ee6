import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, SHARED, tempDir } from '../helpers/sample.js';
import { imageConfig, readDockerfile } from './dockerfile.js';
import { buildStage } from './image.js';
import { cliProblems, intentopsCalls } from './known.js';
import { kustomizeBuild } from './kustomize.js';

type Job = Record<string, any>;
type Step = { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; if?: string };

const read = (f: string) => readFileSync(join(ROOT, '.github/workflows', f), 'utf8');
const CI = parse(read('ci.yml')) as Job;
const DEPLOY = parse(read('deploy.yml')) as Job;
const LLM_EVAL = parse(read('llm-eval.yml')) as Job;
const steps = (w: Job): Step[] => Object.values(w.jobs as Record<string, Job>).flatMap((j) => (j.steps ?? []) as Step[]);
const step = (job: Job, name: string) => (job.steps as Step[]).find((s) => s.name === name)!;

describe('GitHub workflows', () => {
  it.each(['ci.yml', 'deploy.yml', 'llm-eval.yml'])('%s is valid against the workflow schema (action-validator)', (f) => {
    expect(validateWorkflow(read(f)).errors).toEqual([]);
  });

  it('the validator does reject a broken workflow', () => {
    expect(validateWorkflow(read('ci.yml').replace('runs-on:', 'runs_on:')).errors.length).toBeGreaterThan(0);
  });

  it('pins every action to a major version (or a commit), never a branch', () => {
    const uses = [...steps(CI), ...steps(DEPLOY), ...steps(LLM_EVAL)].map((s) => s.uses).filter((u): u is string => Boolean(u));
    expect(uses.length).toBeGreaterThan(10);
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w./-]+@(v\d+|[0-9a-f]{40})$/);
  });

  it('ci: node 20, 22 and 24, typecheck, OpenAPI lint and the tests against PostgreSQL, Redis and NATS with JetStream', () => {
    expect(Object.keys(CI.on).sort()).toEqual(['pull_request', 'push', 'workflow_call']);
    const job = CI.jobs.test;
    expect(step(job, 'Typecheck').run).toBe('npm run typecheck');
    expect(step(job, 'Import rules (no cycles, layering)').run).toBe('npm run lint:deps');
    expect(step(job, 'Test').run).toBe('npm test');
    expect(job.strategy.matrix.node).toEqual([20, 22, 24]);
    expect(steps(CI).find((s) => s.uses?.startsWith('actions/setup-node@'))!.with!['node-version']).toBe('${{ matrix.node }}');
    expect(step(job, 'OpenAPI lint and generated client up to date').run).toBe('npm run lint:openapi && npm run generate:api-client && git diff --exit-code test/e2e/api');
    expect(step(job, 'promtool').run).toMatch(/apt-get install -y --no-install-recommends prometheus/);
    // releases build and train on the active LTS, as the image does
    expect((DEPLOY.jobs.model.steps as Step[]).find((s) => s.uses?.startsWith('actions/setup-node@'))!.with!['node-version']).toBe(24);
    // the addresses the contract tests use (test/helpers/real-services.ts defaults)
    expect(job.services.postgres.ports).toEqual(['5432:5432']);
    expect(job.services.postgres.env).toMatchObject({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'test' });
    expect(job.services.redis.ports).toEqual(['6379:6379']);
    expect(CI.env).toEqual({ INTENTOPS_TEST_PG_URL: 'postgres://postgres@127.0.0.1:5432/test', INTENTOPS_TEST_REDIS_URL: 'redis://127.0.0.1:6379/0' });
    expect(step(job, 'Start NATS with JetStream').run).toMatch(/-p 4222:4222 .*nats:2\.10-alpine --jetstream/);
  });

  it('deploy: checks → model (train, eval, gate) → image → rollout, each job after the one it needs', () => {
    expect(DEPLOY.on.push).toEqual({ branches: ['main'], tags: ['v*'] });
    expect(DEPLOY.jobs.checks.uses).toBe('./.github/workflows/ci.yml');
    expect(DEPLOY.jobs.model.needs).toContain('checks');
    expect(DEPLOY.jobs.image.needs).toContain('model');
    for (const j of ['deploy-aks', 'deploy-containerapps']) expect(DEPLOY.jobs[j].needs, j).toContain('image');
    const model = (DEPLOY.jobs.model.steps as Step[]).map((s) => s.name ?? s.uses ?? s.run);
    expect(model.indexOf('Quality gate (exit 6 = a gate failed)')).toBeGreaterThan(model.indexOf('Train'));
    // the model is uploaded for the image only after the gate step (a failed gate stops the job)
    expect(model.lastIndexOf('actions/upload-artifact@v4')).toBeGreaterThan(model.indexOf('Quality gate (exit 6 = a gate failed)'));
  });

  it('jobs that log in to Azure may request an OIDC token; no job holds a client secret', () => {
    for (const [name, job] of Object.entries(DEPLOY.jobs as Record<string, Job>)) {
      if ((job.steps ?? []).some((s: Step) => s.uses?.startsWith('azure/login@'))) expect(job.permissions?.['id-token'], name).toBe('write');
    }
    expect(read('deploy.yml')).not.toMatch(/client-secret|AZURE_CREDENTIALS/);
  });

  it('every intentops command line in a workflow parses, and every file a step names exists', () => {
    const scripts = [...steps(CI), ...steps(DEPLOY)].map((s) => s.run ?? '');
    const calls = scripts.flatMap(intentopsCalls);
    expect(calls.map((c) => c[0]).sort()).toEqual(['eval', 'gate', 'gate', 'train']);
    for (const c of calls) expect(cliProblems(c), c.join(' ')).toEqual([]);
    for (const f of [DEPLOY.env.TRAIN_DATA, DEPLOY.env.TEST_DATA, DEPLOY.env.GATES, 'deploy/docker/npm-ci.sh', '.github/scripts/test-encoder.sh']) expect(existsSync(join(ROOT, f)), f).toBe(true);
  });

  it('llm-eval: on prompt changes, llm eval on the committed set offline always, against OpenAI only with its secret, saying so when skipped', () => {
    for (const ev of ['pull_request', 'push']) expect(LLM_EVAL.on[ev].paths).toContain('prompts/**');
    const job = LLM_EVAL.jobs['llm-eval'];
    const calls = (job.steps as Step[]).flatMap((s) => intentopsCalls(s.run ?? ''));
    expect(calls.map((c) => c.slice(0, c[0] === 'llm' || c[0] === 'dev' ? 2 : 1).join(' '))).toEqual(['train', 'dev fake-llm', 'llm eval', 'llm eval']);
    for (const c of calls) expect(cliProblems(c), c.join(' ')).toEqual([]);
    // every llm eval applies the gates file's llm: section under a cost ceiling
    for (const c of calls.filter((x) => x[1] === 'eval')) expect(c).toEqual(expect.arrayContaining(['--gates', '--max-cost-usd', '--data', '--model']));
    for (const f of [LLM_EVAL.env.TRAIN_DATA, LLM_EVAL.env.TEST_DATA, LLM_EVAL.env.GATES, 'prompts/variants/local-fake.yaml', 'prompts/variants/gpt-4o-mini.yaml']) expect(existsSync(join(ROOT, f)), f).toBe(true);
    expect(parse(readFileSync(join(ROOT, LLM_EVAL.env.GATES), 'utf8')).llm).toMatchObject({ minSliceAccuracy: expect.any(Number), maxCostPer1k: expect.any(Number), maxInvalidRate: expect.any(Number) });
    // the fake LLM listens where the offline variant points
    const port = /--port (\d+)/.exec(step(job, 'Offline (fake LLM)').run!)![1];
    expect(parse(readFileSync(join(ROOT, 'prompts/variants/local-fake.yaml'), 'utf8')).baseUrl).toBe(`http://127.0.0.1:${port}/v1`);
    // the provider run is conditional on the secret, and its absence is reported, not silent
    expect(step(job, 'Against OpenAI (exit 6 = a gate failed)').if).toBe("steps.key.outputs.present == 'true'");
    expect(step(job, 'Provider key').run).toMatch(/::warning title=llm eval against OpenAI skipped::/);
    expect(step(job, 'Provider key').run).toMatch(/GITHUB_STEP_SUMMARY/);
  });

  it('builds the Dockerfile stage that bakes the model, from the directory the model job uploads', () => {
    const build = (DEPLOY.jobs.image.steps as Step[]).find((s) => s.uses?.startsWith('docker/build-push-action@'))!;
    expect(DEPLOY_STAGE_NAMES()).toContain(build.with!.target);
    const dir = /MODEL_DIR=(\S+)/.exec(String(build.with!['build-args']))![1];
    expect((DEPLOY.jobs.image.steps as Step[]).find((s) => s.uses?.startsWith('actions/download-artifact@'))!.with!.path).toBe(dir);
    expect(step(DEPLOY.jobs.model, 'Train').run).toContain(`--out ${dir}`);
  });

  it('rolls out to the overlays and namespaces deploy/k8s defines, and to the containers main.bicep names', () => {
    const env = DEPLOY.jobs['deploy-aks'].env;
    for (const channel of ['prod', 'dev']) {
      const ns = channel === 'prod' ? 'intentops' : 'intentops-dev';
      expect(env.OVERLAY).toContain(`'${channel}'`);
      expect(env.NAMESPACE).toContain(`'${ns}'`);
      expect(new Set(kustomizeBuild(join(ROOT, 'deploy/k8s/overlays', channel)).map((m) => m.metadata.namespace))).toEqual(new Set([ns]));
    }
    const bicep = readFileSync(join(ROOT, 'deploy/azure/main.bicep'), 'utf8');
    for (const c of ['api', 'worker']) expect(bicep).toMatch(new RegExp(`name: '${c}'`));
    expect(steps(DEPLOY).map((s) => s.run ?? '').join('\n')).toMatch(/--container-name api[\s\S]*--container-name worker/);
  });

  it('the test encoder script pins the files the ONNX tests use', () => {
    const script = readFileSync(join(ROOT, '.github/scripts/test-encoder.sh'), 'utf8');
    const sums = [...script.matchAll(/(?:^|')([0-9a-f]{64}) {2}([^\s']+)'?$/gm)];
    expect(sums.map((m) => m[2]).sort()).toEqual(['config.json', 'onnx/model_q4.onnx', 'onnx/model_q4.onnx_data', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
    const dir = join(SHARED, 'models/all-MiniLM-L6-v2-q4');
    for (const [, sha, file] of sums) expect(createHash('sha256').update(readFileSync(join(dir, file))).digest('hex'), file).toBe(sha);
  });
});

const DEPLOY_STAGE_NAMES = () => readDockerfile(join(ROOT, 'Dockerfile')).stages.map((s) => s.name);

/** The deploy workflow's model job, its steps run with bash as the runner would (after `npm run build`). */
describe('deploy workflow: the model job on the sample data', () => {
  let ws: string;
  const runStep = (name: string, env: Record<string, string> = {}) =>
    spawnSync('bash', ['-e', '-c', step(DEPLOY.jobs.model, name).run!], {
      cwd: ws,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: ws, ...DEPLOY.env, ...env },
    });

  beforeAll(() => {
    ws = tempDir('intentops-workflow-');
    const df = readDockerfile(join(ROOT, 'Dockerfile'));
    const build = imageConfig(df, 'build');
    cpSync(join(buildStage(build), build.workdir, 'dist'), join(ws, 'dist'), { recursive: true });
    for (const f of ['bin', 'prompts', 'package.json']) cpSync(join(ROOT, f), join(ws, f), { recursive: true });
    for (const f of ['node_modules', 'data', 'deploy', 'test']) symlinkSync(join(ROOT, f), join(ws, f));
  }, 120_000);

  it('trains, evaluates, and passes the release gates without a baseline, then against the same model', () => {
    for (const name of ['Train', 'Evaluate']) {
      const r = runStep(name);
      expect(r.status, `${name}: ${r.stderr}`).toBe(0);
    }
    expect(existsSync(join(ws, 'models/intents/manifest.json'))).toBe(true);
    const first = runStep('Quality gate (exit 6 = a gate failed)');
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^PASSED/m);
    expect(first.stdout).toMatch(/no baseline/);
    expect(readFileSync(join(ws, 'gate.md'), 'utf8').length).toBeGreaterThan(0);

    // the next release: the released image's model is the baseline
    cpSync(join(ws, 'models/intents'), join(ws, 'baseline'), { recursive: true });
    const second = runStep('Quality gate (exit 6 = a gate failed)');
    expect(second.status, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toMatch(/PASS {2}maxRegression\.accuracy/);
  });

  it('fails the job (exit 6) when the model misses a gate', () => {
    const r = runStep('Quality gate (exit 6 = a gate failed)', { GATES: 'test/fixtures/gates/strict.yaml' });
    expect(r.status).toBe(6);
    expect(r.stdout).toMatch(/^FAIL/m);
  });
});
