/**
 * The image's exact start command, run from a fresh build: the build stage simulated (its COPY
 * steps from the context through .dockerignore, then `npm run build`), the final stage's files
 * laid out as its COPY steps put them, its ENTRYPOINT + CMD, ENV and WORKDIR, the model that the build bakes
 * in at /opt/intentops/model (MODEL_DIR, here a model trained from the sample data), and its
 * HEALTHCHECK. Two overrides, both of what a container has that this machine does not: a free
 * port instead of 8080, and loopback instead of 0.0.0.0.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/sample.js';
import { CONFIDENT, sampleModel } from '../helpers/serving.js';
import { imageConfig, readDockerfile } from './dockerfile.js';
import { buildStage, containerEnv, freePort, healthcheck, layOut, runSync, startServer, type Layout, type Started } from './image.js';

const DF = readDockerfile(join(ROOT, 'Dockerfile'));
let buildRoot: string;
let model: string;

beforeAll(async () => {
  buildRoot = buildStage(imageConfig(DF, 'build'));
  model = await sampleModel();
}, 120_000);

async function boot(l: Layout, args?: readonly string[]): Promise<{ server: Started; url: string; env: NodeJS.ProcessEnv }> {
  const port = await freePort();
  const env = containerEnv(l, { INTENTOPS_PORT: String(port), INTENTOPS_HOST: '127.0.0.1' });
  const url = `http://127.0.0.1:${port}`;
  return { server: await startServer(l, env, url, args), url, env };
}

const classify = (url: string, text: string) => fetch(`${url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });

describe('the bundled image (default target): model baked in at build time', () => {
  let l: Layout;
  let running: { server: Started; url: string; env: NodeJS.ProcessEnv } | undefined;

  beforeAll(() => {
    // docker build --build-arg MODEL_DIR=<the trained sample model>
    l = layOut(tempDir('intentops-rootfs-'), imageConfig(DF, undefined, { MODEL_DIR: model }), buildRoot);
  });
  afterAll(() => {
    running?.server.proc.kill('SIGKILL');
  });

  it('starts, passes its HEALTHCHECK, is ready, classifies, and stops with 0 on SIGTERM', async () => {
    expect(existsSync(join(l.rootfs, 'opt/intentops/model/manifest.json'))).toBe(true);
    running = await boot(l);
    const { server, url, env } = running;
    expect(healthcheck(l, env)).toBe(0);

    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { model: 'ok', review: 'ok' } });
    // the default SQLite review queue lands in the writable working directory, not in the app
    expect(existsSync(join(l.rootfs, l.config.workdir, 'intentops.db'))).toBe(true);

    const res = await classify(url, CONFIDENT);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ intent: 'delivery', route: 'accepted', model: { name: 'sample' } });

    server.proc.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
    // and the HEALTHCHECK notices a dead server
    expect(healthcheck(l, env)).not.toBe(0);
  });
});

describe('the runtime image (--target runtime): a registry alias instead of a baked model', () => {
  it('serves models:/intents@champion from the registry in its working directory', async () => {
    const l = layOut(tempDir('intentops-rootfs-'), imageConfig(DF, 'runtime'), buildRoot);
    expect(existsSync(join(l.rootfs, 'opt/intentops/model'))).toBe(false);
    const env = containerEnv(l);
    // docker run --rm -v data:/var/lib/intentops -v $PWD/model:/model IMAGE models register /model …
    const reg = runSync(l, env, ['models', 'register', model, '--name', 'intents', '--alias', 'champion', '--why', 'image test']);
    expect(reg.status, reg.stderr).toBe(0);

    const { server, url } = await boot(l);
    try {
      const res = await classify(url, CONFIDENT);
      expect(res.status).toBe(200);
      // the registered version answers, under its registry identity
      expect(await res.json()).toMatchObject({ intent: 'delivery', model: { name: 'intents', version: '1' } });
      expect(await (await fetch(`${url}/readyz`)).json()).toMatchObject({ status: 'ready' });
    } finally {
      server.proc.kill('SIGTERM');
    }
    expect(await server.exit).toBe(0);
  });
});
