import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/sample.js';
import { CONFIDENT, testServing, UNSURE, type TestServing } from '../helpers/serving.js';

/*
 * The metrics and alerting contract, checked by Prometheus' own promtool (Debian package
 * `prometheus`; `npm run test:setup` installs it): /metrics of a real server passes `promtool
 * check metrics`; the shipped rules pass `promtool check rules` and their unit tests `promtool
 * test rules`; the PrometheusRule of the Kubernetes overlay holds the same rules; every series
 * the rules and the Grafana dashboard query is one the server exports.
 */

const PROM = join(ROOT, 'deploy/prometheus');
const RULES = join(PROM, 'intentops-alerts.yml');
const RULE_TESTS = join(PROM, 'intentops-alerts.test.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/intentops.json');
const K8S_RULE = join(ROOT, 'deploy/k8s/overlays/prod/prometheus-rule.yaml');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
const groups = (parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups;
const rules = groups.flatMap((g) => g.rules);
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid: string };
  targets?: { expr: string; datasource: { uid: string } }[];
}
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { uid: string; panels: Panel[]; templating: { list: { name: string }[] } };
const panelExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

function promtool(args: string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd: PROM, input, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`promtool: ${r.error.message}: install it with \`npm run test:setup\` (Debian package prometheus)`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** intentops_* series names in PromQL, histogram suffixes folded to the metric's own name. */
function metricNames(exprs: string[]): Set<string> {
  const names = exprs.flatMap((e) => [...e.matchAll(/\bintentops_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')));
  return new Set(names);
}

/** Every metric name the source declares (some only exist with a feature on: LLM, budget, review bound). */
function declaredNames(dir: string, into = new Set<string>()): Set<string> {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) declaredNames(p, into);
    else if (f.endsWith('.ts') && !f.endsWith('.test.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/['`](intentops_[a-z0-9_]+)['`]/g)) into.add(m[1]);
  }
  return into;
}

let s: TestServing;
let scraped: string;

beforeAll(async () => {
  // budget on, so its gauges are exported too; traffic on each route of the classifier
  s = await testServing({ flags: { monitor: { budget: { dailyUsd: 5 } } } });
  for (const text of [CONFIDENT, UNSURE, 'I was charged twice for my order']) expect((await s.post('/v1/classify', { text })).status).toBe(200);
  scraped = await (await s.get('/metrics')).text();
}, 120_000);

afterAll(async () => {
  await s?.close();
});

describe('Prometheus and Grafana contract', () => {
  it('/metrics of a real server passes promtool check metrics (no gauge named like a counter)', () => {
    expect(scraped).toMatch(/^intentops_http_requests_total\{/m);
    const r = promtool(['check', 'metrics'], scraped);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
    // the per-type gauges remain; their sums named *_total are gone
    expect(scraped).toMatch(/^# TYPE intentops_nodejs_active_handles gauge$/m);
    expect(scraped).not.toMatch(/intentops_nodejs_active_(handles|requests|resources)_total/);
  });

  it('the alerting rules pass promtool check rules', () => {
    const r = promtool(['check', 'rules', RULES]);
    expect(r.out).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.status).toBe(0);
  });

  it('the alerting rules pass their unit tests (promtool test rules), and every alert has one', () => {
    const r = promtool(['test', 'rules', RULE_TESTS]);
    expect(r.out).toContain('SUCCESS');
    expect(r.status).toBe(0);
    const tests = parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[] };
    const fired = new Set(tests.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    expect(rules.map((r) => r.alert).filter((a) => !fired.has(a))).toEqual([]);
  });

  it('covers what operators page on, each alert with a severity, a summary and a description', () => {
    const all = rules.map((r) => r.alert);
    for (const a of ['IntentOpsLlmErrorRate', 'IntentOpsLlmCircuitOpen', 'IntentOpsLlmBudgetNearlySpent', 'IntentOpsAcceptedPrecisionBelowTarget', 'IntentOpsLabelDrift', 'IntentOpsConfidenceDrift', 'IntentOpsReviewBacklog', 'IntentOpsPredictionLogDrops', 'IntentOpsHttp5xxRate', 'IntentOpsClassifyLatencyP99']) {
      expect(all).toContain(a);
    }
    for (const r of rules) {
      expect(['warning', 'critical'], r.alert).toContain(r.labels.severity);
      expect(r.annotations.summary, r.alert).toMatch(/\S/);
      expect(r.annotations.description, r.alert).toMatch(/\S/);
    }
    const precision = rules.find((r) => r.alert === 'IntentOpsAcceptedPrecisionBelowTarget')!;
    expect(precision.expr).toMatch(/intentops_accepted_precision_upper.*<.*intentops_accepted_precision_target/);
    expect(precision.for).toBe('15m');
  });

  it('every series the rules and the dashboard query is one the server declares', () => {
    const declared = declaredNames(join(ROOT, 'src'));
    // prom-client's process and Node.js metrics, with the server's prefix, as scraped
    for (const m of scraped.matchAll(/^# TYPE (intentops_[a-z0-9_]+) /gm)) declared.add(m[1]);
    const used = metricNames([...rules.map((r) => r.expr), ...panelExprs]);
    expect([...used].filter((n) => !declared.has(n))).toEqual([]);
  });

  it('the Kubernetes PrometheusRule holds exactly these rules', () => {
    const cr = parse(readFileSync(K8S_RULE, 'utf8')) as { apiVersion: string; kind: string; spec: { groups: unknown } };
    expect(cr.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(cr.kind).toBe('PrometheusRule');
    expect(cr.spec.groups).toEqual(groups);
    expect(readFileSync(join(ROOT, 'deploy/k8s/overlays/prod/kustomization.yaml'), 'utf8')).toMatch(/^\s+- prometheus-rule\.yaml$/m);
  });

  it('the Grafana dashboard charts every figure the alerts watch, on the chosen data source and job', () => {
    expect(dashboard.uid).toBe('intentops');
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'job']);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets!) {
        expect(t.datasource.uid, p.title).toBe('${datasource}');
        expect(t.expr, p.title).toMatch(/job=~"\$job"/);
      }
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
    // no two panels overlap on the grid
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
    const charted = metricNames(panelExprs);
    expect([...metricNames(rules.map((r) => r.expr))].filter((n) => !charted.has(n))).toEqual([]);
  });

  it('docs/deploy.md tells operators where the rules, their tests and the dashboard are', () => {
    const doc = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
    for (const f of ['deploy/prometheus/intentops-alerts.yml', 'deploy/prometheus/intentops-alerts.test.yml', 'deploy/grafana/intentops.json', 'deploy/k8s/overlays/prod/prometheus-rule.yaml']) expect(doc).toContain(f);
  });
});
