import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/sample.js';
import { imageConfig, readDockerfile } from './dockerfile.js';
import { cliProblems, unknownEnv } from './known.js';

type Service = Record<string, any>;

const RAW = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const COMPOSE = parse(RAW, { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const SERVICES = COMPOSE.services;
const DF = readDockerfile(join(ROOT, 'Dockerfile'));
const APP = ['api', 'worker', 'loop'];

const envExample = () =>
  new Set(
    readFileSync(join(ROOT, '.env.example'), 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
      .map((l) => l.slice(0, l.indexOf('='))),
  );
/** Compose's `${VAR}` interpolation: the name, and whether a default or an error message follows. */
const references = () => [...RAW.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(:?[-?][^}]*)?\}/g)].map((m) => ({ name: m[1], guarded: m[2] !== undefined }));
/** Compose's own interpolation with the defaults: what the containers get from an empty .env. */
const interpolate = (s: string) => s.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::?-([^}]*))?\}/g, (_, _n: string, d?: string) => d ?? '');

describe('docker-compose.yml', () => {
  it('has the app, its worker and every backing service, each with an image or a build', () => {
    expect(Object.keys(SERVICES).sort()).toEqual(['api', 'fake-llm', 'loop', 'nats', 'otel-collector', 'postgres', 'redis', 'worker']);
    for (const [name, s] of Object.entries(SERVICES)) expect(s.image ?? s.build, name).toBeDefined();
  });

  it('pins third-party images to a version (no latest, no bare name)', () => {
    for (const [name, s] of Object.entries(SERVICES)) {
      if (s.build) continue;
      expect(s.image, name).toMatch(/^[\w./-]+:(?!latest$)[\w.-]+$/);
    }
  });

  it('builds the app from a Dockerfile stage with ARGs the Dockerfile declares', () => {
    const stages = DF.stages.map((s) => s.name);
    const args = new Set(DF.stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=')[0])));
    for (const name of [...APP, 'fake-llm']) {
      const b = SERVICES[name].build;
      expect(stages, name).toContain(b.target);
      expect(b.context).toBe('.');
      for (const a of Object.keys(b.args ?? {})) expect(args.has(a), `${name}: build arg ${a}`).toBe(true);
    }
  });

  it('every ${VAR} has a default (an empty .env works) and is documented in .env.example, which names nothing unused', () => {
    const refs = references();
    expect(refs.filter((r) => !r.guarded).map((r) => r.name)).toEqual([]);
    expect([...new Set(refs.map((r) => r.name))].sort()).toEqual([...envExample()].sort());
  });

  it('configures the app only with variables it reads, and points every URI at a compose service', () => {
    for (const name of APP) {
      const env = SERVICES[name].environment as Record<string, string>;
      expect(unknownEnv(Object.keys(env)), name).toEqual([]);
      const uri = (k: string) => new URL(interpolate(env[k]));
      for (const k of ['INTENTOPS_REVIEW_URI', 'INTENTOPS_EVENTS_URI', 'INTENTOPS_TRACKING_URI', 'INTENTOPS_REGISTRY_URI']) expect([uri(k).protocol, uri(k).host], k).toEqual(['postgres:', 'postgres:5432']);
      for (const k of ['INTENTOPS_CACHE_URI', 'INTENTOPS_RATE_LIMIT_URI']) expect([uri(k).protocol, uri(k).host], k).toEqual(['redis:', 'redis:6379']);
      expect(uri('INTENTOPS_BROKER_URI').href).toBe('nats://nats:4222');
      expect(uri('OTEL_EXPORTER_OTLP_ENDPOINT').href).toBe('http://otel-collector:4318/');
      expect(env.OTEL_SERVICE_NAME).toBe(`intentops-${name}`);
    }
    // the database the URIs name is the one the postgres service creates, with its password
    const pg = SERVICES.postgres.environment;
    const review = new URL(interpolate(SERVICES.api.environment.INTENTOPS_REVIEW_URI));
    expect([review.username, review.password, review.pathname]).toEqual([pg.POSTGRES_USER, interpolate(pg.POSTGRES_PASSWORD), `/${pg.POSTGRES_DB}`]);
  });

  it('runs intentops command lines that parse, and publishes the port the image listens on', () => {
    for (const name of [...APP, 'fake-llm']) expect(cliProblems(SERVICES[name].command), name).toEqual([]);
    const port = imageConfig(DF).env.INTENTOPS_PORT;
    expect(SERVICES.api.ports.map((p: string) => interpolate(p).split(':').at(-1))).toEqual([port]);
    // the worker serves no HTTP: the image's /healthz HEALTHCHECK must not mark it unhealthy
    expect(SERVICES.worker.healthcheck).toEqual({ disable: true });
  });

  it('the loop service runs `loop run` on files it mounts, with the shared artifact volume, in its own profile', () => {
    const loop = SERVICES.loop;
    expect(loop.profiles).toEqual(['loop']);
    expect(loop.command.slice(0, 2)).toEqual(['loop', 'run']);
    expect(loop.command).not.toContain('--once');
    expect(loop.healthcheck).toEqual({ disable: true });
    const binds = (loop.volumes as string[]).filter((v) => v.startsWith('.')).map((v) => v.split(':'));
    const inside = (path: string) => {
      const b = binds.find(([, to]) => path === to || path.startsWith(`${to}/`));
      return b && join(ROOT, b[0], path.slice(b[1].length));
    };
    for (const k of ['INTENTOPS_LOOP_DATA', 'INTENTOPS_LOOP_TEST', 'INTENTOPS_LOOP_GATES']) {
      const file = inside(loop.environment[k]);
      expect(file && existsSync(file), `${k}: ${loop.environment[k]} is a mounted file`).toBe(true);
    }
    // the bundles it registers land where the api reads them
    expect(loop.volumes).toContain(`intentops-data:${new URL(SERVICES.api.environment.INTENTOPS_ARTIFACTS_URI).pathname.replace(/\/artifacts$/, '')}`);
  });

  it('starts the app after the services it needs are healthy (each of those has a healthcheck)', () => {
    for (const name of APP) {
      const deps = SERVICES[name].depends_on as Record<string, { condition: string }>;
      expect(Object.keys(deps).sort()).toEqual(['nats', 'otel-collector', 'postgres', 'redis']);
      for (const [dep, { condition }] of Object.entries(deps)) {
        expect(SERVICES[dep], dep).toBeDefined();
        if (condition === 'service_healthy') expect(SERVICES[dep].healthcheck?.test, dep).toBeDefined();
      }
    }
  });

  it('NATS runs with JetStream, and volumes are declared or bind existing files', () => {
    expect(SERVICES.nats.command).toContain('--jetstream');
    for (const [name, s] of Object.entries(SERVICES)) {
      for (const v of (s.volumes ?? []) as string[]) {
        const src = v.split(':')[0];
        if (src.startsWith('.')) expect(existsSync(join(ROOT, src)), `${name}: ${src}`).toBe(true);
        else expect(Object.keys(COMPOSE.volumes), `${name}: volume ${src}`).toContain(src);
      }
    }
  });
});

describe('deploy/otel-collector.yaml', () => {
  const config = parse(readFileSync(join(ROOT, 'deploy/otel-collector.yaml'), 'utf8')) as Record<string, any>;

  it('is what the collector service mounts as its config', () => {
    const mount = (SERVICES['otel-collector'].volumes as string[]).find((v) => v.startsWith('./deploy/otel-collector.yaml:'));
    expect(mount?.split(':')[1]).toBe(/--config=(\S+)/.exec(SERVICES['otel-collector'].command.join(' '))![1]);
  });

  it('receives OTLP over HTTP on the port the app exports to, and over gRPC', () => {
    expect(config.receivers.otlp.protocols.http.endpoint).toBe(`0.0.0.0:${new URL(SERVICES.api.environment.OTEL_EXPORTER_OTLP_ENDPOINT).port}`);
    expect(config.receivers.otlp.protocols.grpc.endpoint).toBe('0.0.0.0:4317');
  });

  it('every pipeline uses only components it defines, and traces reach an exporter', () => {
    for (const [name, p] of Object.entries(config.service.pipelines as Record<string, Record<string, string[]>>)) {
      for (const kind of ['receivers', 'processors', 'exporters']) {
        for (const c of p[kind] ?? []) expect(config[kind]?.[c], `${name}.${kind}: ${c}`).toBeDefined();
      }
    }
    expect(config.service.pipelines.traces.exporters).toContain('debug');
    for (const e of config.service.extensions as string[]) expect(config.extensions[e], e).toBeDefined();
  });
});
