import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { TrackingStore } from '../../ports/tracking-store.js';
import { openTrackingStore } from './index.js';
import { goneReason, systemLiveness, type Liveness } from './liveness.js';

const ENV = { node: 'v20', platform: 'linux', arch: 'x64', cpus: 2 };

/** A pid that surely existed and is gone now: a child that already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('runs whose process is gone are shown and marked failed', () => {
  const open: TrackingStore[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const now = () => new Date(clock);
  async function store(liveness?: Liveness | false, uri = 'sqlite::memory:'): Promise<TrackingStore> {
    const s = await openTrackingStore(uri, { now, liveness });
    open.push(s);
    return s;
  }

  it('on its own host: a dead pid is failed at once, a live one stays running', async () => {
    const s = await store({ ...systemLiveness, host: 'here' });
    const dead = await s.createRun({ name: 'killed', environment: { ...ENV, pid: deadPid(), host: 'here' } });
    const alive = await s.createRun({ name: 'alive', environment: { ...ENV, pid: process.pid, host: 'here' } });
    const old = await s.createRun({ name: 'no pid (older version)', environment: ENV });
    const runs = await s.listRuns();
    const by = (id: string) => runs.find((r) => r.id === id)!;
    expect(by(dead.id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/its process \(pid \d+ on here\) is gone/) });
    expect(by(dead.id).finishedAt).not.toBeNull();
    expect(by(alive.id).status).toBe('running');
    expect(by(old.id).status).toBe('running');
    expect((await s.getRun(dead.id))?.status).toBe('failed');
    expect((await s.listRuns({ status: 'running' })).map((r) => r.name).sort()).toEqual(['alive', 'no pid (older version)']);
  });

  it('on another host: failed once its heartbeat is older than staleMs; the mark is stored for every reader', async () => {
    const dir = (await import('../../../test/helpers/sample.js')).tempDir('intentops-runs-');
    const uri = `sqlite:${dir}/runs.db`;
    const s = await store({ host: 'reader', isAlive: () => true, staleMs: 60_000 }, uri);
    const r = await s.createRun({ name: 'remote', environment: { ...ENV, pid: 4242, host: 'trainer' } });
    clock += 50_000;
    await s.updateRun(r.id, { durationMs: 50_000 }); // a heartbeat
    clock += 59_000;
    expect((await s.getRun(r.id))?.status).toBe('running');
    clock += 2_000;
    expect(await s.getRun(r.id)).toMatchObject({ status: 'failed', durationMs: 50_000, error: expect.stringMatching(/no heartbeat from its process \(pid 4242 on trainer\) since 2026-01-01T00:00:50\.000Z/) });
    const plain = await store(false, uri);
    expect((await plain.getRun(r.id))?.status).toBe('failed');
  });

  it('goneReason leaves finished runs and runs without a pid alone', () => {
    const l: Liveness = { host: 'h', isAlive: () => false, staleMs: 1 };
    const run = { id: 'x', name: 'n', status: 'finished', params: {}, data: { hash: null, report: null }, metrics: {}, perIntent: {}, durationMs: 1, codeVersion: null, environment: { ...ENV, pid: 1, host: 'h' }, bundle: null, tags: {}, error: null, createdAt: '2020-01-01T00:00:00Z', finishedAt: null } as const;
    expect(goneReason(run, l, Date.now())).toBeNull();
    expect(goneReason({ ...run, status: 'running', environment: ENV }, l, Date.now())).toBeNull();
    expect(goneReason({ ...run, status: 'running' }, l, Date.now())).toMatch(/is gone/);
  });
});
