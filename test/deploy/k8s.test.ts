import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ROOT } from '../helpers/sample.js';
import { cliProblems, unknownEnv } from './known.js';
import { kustomizeBuild, strategicMerge, type Manifest } from './kustomize.js';

const K8S = join(ROOT, 'deploy/k8s');
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'batch/v1/CronJob': CronJob,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
};
const SECRET = 'intentops-secrets';

/**
 * Validates against the Kubernetes OpenAPI schema (kubernetes-models), and also refuses fields
 * the schema does not define — which the schema validator lets through, and the API server
 * drops (a misspelt `readinesProbe` would deploy with no probe). A field is known when the
 * validator looks at it.
 */
function validateStrict(m: Manifest): string[] {
  const Model = MODELS[`${m.apiVersion}/${m.kind}`];
  if (!Model) return [`${m.kind} ${m.metadata?.name}: no schema for ${m.apiVersion} ${m.kind} in this test (add it to MODELS)`];
  const model = new Model(m as never);
  const read = new Set<string>();
  const track = (o: unknown, path: string): unknown =>
    o && typeof o === 'object'
      ? new Proxy(o, {
          get(t, k, r) {
            if (typeof k === 'string') read.add(`${path}/${k}`);
            return track(Reflect.get(t, k, r), `${path}/${String(k)}`);
          },
        })
      : o;
  try {
    Model.prototype.validate.call(track(model, ''));
  } catch (e) {
    return [`${m.kind} ${m.metadata?.name}: ${(e as Error).message}`];
  }
  const unknown: string[] = [];
  const walk = (o: unknown, path: string) => {
    if (!o || typeof o !== 'object') return;
    for (const [k, v] of Object.entries(o)) {
      if (!read.has(`${path}/${k}`)) unknown.push(`${m.kind} ${m.metadata?.name}: unknown field ${path}/${k}`);
      else walk(v, `${path}/${k}`);
    }
  };
  walk(m, '');
  return unknown;
}

const podSpec = (m: Manifest): Manifest => (m.kind === 'CronJob' ? m.spec.jobTemplate.spec.template.spec : m.spec.template.spec);
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const find = (ms: Manifest[], kind: string, name: string) => ms.find((m) => m.kind === kind && m.metadata.name === name);
const secretKeys = () =>
  readFileSync(join(K8S, 'base/secrets.env.example'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
    .map((l) => l.slice(0, l.indexOf('=')));

describe.each(['base', 'overlays/dev', 'overlays/prod'])('kustomize build deploy/k8s/%s', (dir) => {
  const ms = kustomizeBuild(join(K8S, dir));
  const deployments = ms.filter((m) => m.kind === 'Deployment');
  // every pod template: the Deployments' and the loop CronJob's
  const workloads = ms.filter((m) => m.kind === 'Deployment' || m.kind === 'CronJob');
  const containers = workloads.flatMap((d) => (podSpec(d).containers as Manifest[]).map((c) => ({ d, c })));
  const loop = find(ms, 'CronJob', 'intentops-loop')!;
  const api = find(ms, 'Deployment', 'intentops-api')!;
  const worker = find(ms, 'Deployment', 'intentops-worker')!;

  it('renders the API, the worker and the loop CronJob with their Service, autoscalers, budgets, config and account', () => {
    expect(ms.map((m) => `${m.kind}/${m.metadata.name.replace(/-[a-z0-9]{10}$/, '-HASH')}`).sort()).toEqual(
      [
        'ConfigMap/intentops-config-HASH',
        'CronJob/intentops-loop',
        'Deployment/intentops-api',
        'Deployment/intentops-worker',
        'HorizontalPodAutoscaler/intentops-api',
        'HorizontalPodAutoscaler/intentops-worker',
        'PodDisruptionBudget/intentops-api',
        'PodDisruptionBudget/intentops-worker',
        'PersistentVolumeClaim/intentops-shared',
        'Service/intentops-api',
        'ServiceAccount/intentops',
        // production ships its alerting rules (Prometheus Operator)
        ...(dir === 'overlays/prod' ? ['PrometheusRule/intentops'] : []),
      ].sort(),
    );
  });

  it('every manifest is valid against the Kubernetes schema, with no unknown field', () => {
    expect(ms.flatMap(validateStrict)).toEqual([]);
  });

  it('containers run as a non-root user, read-only, without privileges, with /tmp writable', () => {
    for (const { d, c } of containers) {
      const pod = podSpec(d);
      expect(pod.securityContext.runAsNonRoot, d.metadata.name).toBe(true);
      expect(pod.securityContext.runAsUser, d.metadata.name).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken, d.metadata.name).toBe(false);
      expect(c.securityContext, c.name).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      const tmp = (c.volumeMounts as Manifest[]).find((v) => v.mountPath === '/tmp');
      expect(tmp, `${c.name} mounts /tmp`).toBeDefined();
      expect((pod.volumes as Manifest[]).find((v) => v.name === tmp!.name)?.emptyDir, `${c.name}: /tmp is an emptyDir`).toBeDefined();
    }
  });

  it('containers have CPU and memory requests and a memory limit', () => {
    for (const { c } of containers) {
      expect(c.resources.requests, c.name).toEqual({ cpu: expect.any(String), memory: expect.stringMatching(/^\d+(Mi|Gi)$/) });
      expect(c.resources.limits.memory, c.name).toMatch(/^\d+(Mi|Gi)$/);
    }
  });

  it('images are pinned to a tag or digest, never latest', () => {
    for (const { c } of containers) expect(c.image, c.name).toMatch(/^[^:@]+(:(?!latest$)[\w.-]+|@sha256:[0-9a-f]{64})$/);
  });

  it('the API is probed on /healthz (startup, liveness) and /readyz (readiness) at the port it listens on', () => {
    const c = (api.spec.template.spec.containers as Manifest[])[0];
    const port = (c.ports as Manifest[]).find((p) => p.name === 'http');
    const config = ms.find((m) => m.kind === 'ConfigMap')!;
    expect(port?.containerPort).toBe(Number(config.data.INTENTOPS_PORT));
    for (const [probe, path] of [['startupProbe', '/healthz'], ['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']]) {
      expect(c[probe]?.httpGet, probe).toEqual({ path, port: 'http' });
    }
    // /readyz waits up to 2 s for each dependency; a shorter probe timeout would fail healthy pods
    expect(c.readinessProbe.timeoutSeconds).toBeGreaterThan(2);
    // preStop pause + the 10 s drain (server.shutdownTimeoutMs) fit in the grace period
    expect(api.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(Number(c.lifecycle.preStop.exec.command[1]) + 10);
  });

  it('the Service selects the API pods only, on a port the container names', () => {
    const svc = find(ms, 'Service', 'intentops-api')!;
    expect(matches(svc.spec.selector, api.spec.template.metadata.labels)).toBe(true);
    expect(matches(svc.spec.selector, worker.spec.template.metadata.labels)).toBe(false);
    const names = (api.spec.template.spec.containers[0].ports as Manifest[]).map((p) => p.name);
    for (const p of svc.spec.ports as Manifest[]) expect(names).toContain(p.targetPort);
  });

  it('each Deployment selects its own pods; its HPA targets it and its PDB selects exactly its pods', () => {
    for (const d of deployments) {
      const labels = d.spec.template.metadata.labels;
      expect(matches(d.spec.selector.matchLabels, labels), d.metadata.name).toBe(true);
      const others = deployments.filter((o) => o !== d);
      const hpa = find(ms, 'HorizontalPodAutoscaler', d.metadata.name)!;
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name });
      expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
      // the Deployment starts with at least what the HPA will keep
      expect(d.spec.replicas, d.metadata.name).toBeGreaterThanOrEqual(hpa.spec.minReplicas);
      expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
      const pdb = find(ms, 'PodDisruptionBudget', d.metadata.name)!;
      expect(matches(pdb.spec.selector.matchLabels, labels), d.metadata.name).toBe(true);
      for (const o of others) expect(matches(pdb.spec.selector.matchLabels, o.spec.template.metadata.labels)).toBe(false);
    }
  });

  it('config comes from the generated ConfigMap and the documented Secret, and names only variables the app reads', () => {
    const config = ms.find((m) => m.kind === 'ConfigMap')!;
    for (const { c } of containers) {
      const refs = c.envFrom as Manifest[];
      expect(refs.map((r) => r.configMapRef?.name ?? r.secretRef?.name)).toEqual([config.metadata.name, SECRET]);
      expect(unknownEnv((c.env as Manifest[]).map((e) => e.name)), c.name).toEqual([]);
    }
    expect(unknownEnv(Object.keys(config.data))).toEqual([]);
    expect(unknownEnv(secretKeys())).toEqual([]);
    // nothing secret in the ConfigMap
    expect(Object.keys(config.data).filter((k) => /KEY|PASSWORD|SECRET|_URI$/.test(k))).toEqual([]);
  });

  it('container arguments are intentops command lines that parse, and $(VAR) names a variable the container has', () => {
    const config = ms.find((m) => m.kind === 'ConfigMap')!;
    for (const { c } of containers) {
      expect(cliProblems(c.args), c.name).toEqual([]);
      const vars = new Set([...Object.keys(config.data), ...secretKeys(), ...(c.env as Manifest[]).map((e) => e.name)]);
      for (const a of c.args as string[]) for (const [, v] of a.matchAll(/\$\((\w+)\)/g)) expect(vars.has(v), `${c.name}: $(${v})`).toBe(true);
    }
  });

  it('the loop CronJob runs one pass per tick, never two at once, not retried within a tick, on the shared volume', () => {
    expect(loop.spec).toMatchObject({ concurrencyPolicy: 'Forbid', jobTemplate: { spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never' } } } } });
    expect(loop.spec.schedule).toMatch(/^(\S+\s+){4}\S+$/);
    // the pass is bounded, and the next tick comes after it
    expect(loop.spec.jobTemplate.spec.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(loop.spec.jobTemplate.spec.activeDeadlineSeconds).toBeLessThan(3600);
    const c = podSpec(loop).containers[0];
    expect(c.args.slice(0, 3)).toEqual(['loop', 'run', '--once']);
    const claim = (podSpec(loop).volumes as Manifest[]).find((v) => v.persistentVolumeClaim)!;
    expect(find(ms, 'PersistentVolumeClaim', claim.persistentVolumeClaim.claimName)?.spec.accessModes).toEqual(['ReadWriteMany']);
    const mount = (c.volumeMounts as Manifest[]).find((m) => m.name === claim.name)!.mountPath as string;
    const env = Object.fromEntries((c.env as Manifest[]).map((e) => [e.name, e.value]));
    for (const k of ['INTENTOPS_LOOP_DATA', 'INTENTOPS_LOOP_TEST', 'INTENTOPS_LOOP_GATES']) expect(env[k], k).toMatch(new RegExp(`^${mount}/`));
    expect(env.INTENTOPS_ARTIFACTS_URI).toBe(`file:${mount}/artifacts`);
    // the bundles it writes before registering them go to the writable /tmp
    expect(env.INTENTOPS_LOOP_WORK_DIR).toMatch(/^\/tmp\//);
  });
});

describe('overlays', () => {
  it('dev: its own namespace, one replica each, debug logs, the main tag pulled on every start', () => {
    const ms = kustomizeBuild(join(K8S, 'overlays/dev'));
    expect(new Set(ms.map((m) => m.metadata.namespace))).toEqual(new Set(['intentops-dev']));
    const api = find(ms, 'Deployment', 'intentops-api')!;
    expect(api.spec.replicas).toBe(1);
    expect(api.spec.template.spec.containers[0]).toMatchObject({ image: 'intentops:main', imagePullPolicy: 'Always', resources: { requests: { cpu: '100m' } } });
    // the patch changed resources only: the probes from the base are still there
    expect(api.spec.template.spec.containers[0].readinessProbe.httpGet.path).toBe('/readyz');
    expect(ms.find((m) => m.kind === 'ConfigMap')!.data).toMatchObject({ INTENTOPS_LOG_LEVEL: 'debug', INTENTOPS_WORKERS: '1' });
  });

  it('prod: its own namespace, three API replicas at least, the release tag, more memory per pod', () => {
    const ms = kustomizeBuild(join(K8S, 'overlays/prod'));
    expect(new Set(ms.map((m) => m.metadata.namespace))).toEqual(new Set(['intentops']));
    const api = find(ms, 'Deployment', 'intentops-api')!;
    expect(api.spec.replicas).toBe(3);
    expect(find(ms, 'HorizontalPodAutoscaler', 'intentops-api')!.spec).toMatchObject({ minReplicas: 3, maxReplicas: 20 });
    expect(api.spec.template.spec.containers[0]).toMatchObject({ image: 'intentops:0.1.0', resources: { limits: { memory: '2Gi' } } });
  });

  it('a config change renames the ConfigMap (so the pods roll), and the Deployments follow the new name', () => {
    const [dev, prod] = ['overlays/dev', 'overlays/prod'].map((d) => kustomizeBuild(join(K8S, d)));
    const name = (ms: Manifest[]) => ms.find((m) => m.kind === 'ConfigMap')!.metadata.name;
    expect(name(dev)).not.toBe(name(prod));
    expect(find(dev, 'Deployment', 'intentops-worker')!.spec.template.spec.containers[0].envFrom[0].configMapRef.name).toBe(name(dev));
  });
});

describe('the test renderer', () => {
  it('merges lists by their Kubernetes merge key and replaces the rest', () => {
    const base = { containers: [{ name: 'a', image: 'x', env: [{ name: 'A', value: '1' }], args: ['p'] }, { name: 'b', image: 'y' }] };
    const patch = { containers: [{ name: 'b', image: 'z' }, { name: 'c', image: 'w' }, { name: 'a', env: [{ name: 'B', value: '2' }], args: ['q'] }] };
    expect(strategicMerge(base, patch)).toEqual({
      containers: [
        { name: 'a', image: 'x', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], args: ['q'] },
        { name: 'b', image: 'z' },
        { name: 'c', image: 'w' },
      ],
    });
  });

  it('refuses a schema violation and an unknown field', () => {
    const d = kustomizeBuild(join(K8S, 'base')).find((m) => m.kind === 'Deployment')!;
    const typo = structuredClone(d);
    typo.spec.template.spec.containers[0].readinesProbe = typo.spec.template.spec.containers[0].readinessProbe;
    expect(validateStrict(typo)).toEqual(['Deployment intentops-api: unknown field /spec/template/spec/containers/0/readinesProbe']);
    const wrong = structuredClone(d);
    wrong.spec.template.spec.containers[0].ports[0].containerPort = '8080';
    expect(validateStrict(wrong).join()).toMatch(/containerPort must be integer/);
  });
});
