import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRecords } from '../../src/lib/readers/index.js';
import { consumerBacklog, deleteTopology, NATS_URL, natsClient, produce, readSubject, uniqueTopology, type NatsTopology } from '../contract/broker.nats.js';
import { CLI_MAIN, SAMPLE_TRAIN, tempDir } from '../helpers/sample.js';
import { sampleModel } from '../helpers/serving.js';

const BASE_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', INTENTOPS_REVIEW_URI: 'none' };

interface Child {
  readonly proc: ChildProcess;
  logs(): Record<string, unknown>[];
  stderr(): string;
  exit: Promise<number | null>;
}

/** Runs `intentops worker` in a child process; resolves once it logged `worker started`. */
async function worker(args: string[]): Promise<Child> {
  const proc = spawn(process.execPath, [CLI_MAIN, 'worker', ...args], { cwd: tempDir(), env: BASE_ENV });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d));
  proc.stderr!.on('data', (d: Buffer) => (err += d));
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const logs = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (logs().some((l) => l.msg === 'worker started')) {
        clearInterval(timer);
        resolve();
      }
    }, 25);
    void exit.then((code) => {
      clearInterval(timer);
      reject(new Error(`worker exited with ${code} before starting:\n${err}\n${out}`));
    });
  });
  return { proc, logs, stderr: () => err, exit };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('intentops worker: two workers share a JetStream input; one is SIGKILLed mid-stream', () => {
  let client: { nc: NatsConnection; jsm: JetStreamManager };
  let model: string;
  let texts: string[];
  const t: NatsTopology = uniqueTopology();
  const children: Child[] = [];
  beforeAll(async () => {
    client = await natsClient();
    model = await sampleModel();
    texts = (await readRecords(SAMPLE_TRAIN)).rows.map((r) => String(r.text));
  });
  afterAll(async () => {
    for (const c of children) c.proc.kill('SIGKILL');
    await deleteTopology(client.jsm, t);
    await client.nc.close();
  });

  it('every message id appears exactly once in the output; only the poisoned ones are dead-lettered', async () => {
    const flags = ['--model', model, '--broker', NATS_URL, '--stream', t.stream, '--in', t.in, '--out', t.out, '--dlq', t.dlq, '--consumer', t.consumer, '--ack-wait', '2000', '--concurrency', '64', '--batch', '16'];
    const a = await worker(flags);
    children.push(a);
    const b = await worker(flags);
    children.push(b);

    const total = 1500;
    const messages = Array.from({ length: total }, (_, i) => JSON.stringify({ id: `msg-${i}`, text: texts[i % texts.length], ...(i % 100 === 0 ? { metadata: { n: i } } : {}) }));
    const poison = ['not json at all', JSON.stringify({ text: 'no id' }), JSON.stringify({ id: 'poison-empty', text: '' }), JSON.stringify({ id: 'poison-long', text: 'x'.repeat(6000) })];
    const outCount = async () => (await client.jsm.streams.info(`${t.stream}_OUT`, { subjects_filter: t.out })).state.subjects?.[t.out] ?? 0;

    // publish in small chunks while both work; kill A once results are flowing
    let killedAt = -1;
    let outAtKill = -1;
    const killOnceFlowing = async (published: number) => {
      const n = await outCount();
      if (killedAt >= 0 || n < 300) return;
      a.proc.kill('SIGKILL');
      killedAt = published;
      outAtKill = n;
    };
    for (let i = 0; i < total; i += 50) {
      await produce(client.nc, t.in, messages.slice(i, i + 50));
      if (i === 700) await produce(client.nc, t.in, poison);
      await killOnceFlowing(i + 50);
      await sleep(10);
    }
    // on a loaded machine the producer can outrun both workers: then A is killed once results are
    // flowing after the last chunk, still mid-stream (fewer results than messages)
    for (const deadline = Date.now() + 60_000; killedAt < 0 && Date.now() < deadline; await sleep(20)) await killOnceFlowing(total);
    expect(killedAt).toBeGreaterThan(0);
    expect(outAtKill).toBeLessThan(total);
    expect(await a.exit).toBeNull();

    // B takes over, including what A held unacked (redelivered after the 2 s ack wait)
    for (let i = 0; i < 300; i++) {
      const backlog = await consumerBacklog(client.jsm, t);
      if ((await outCount()) >= total && backlog.pending === 0 && backlog.unacked === 0) break;
      await sleep(100);
    }
    const out = await readSubject(client.nc, client.jsm, `${t.stream}_OUT`, t.out);
    const ids = out.map((m) => JSON.parse(m.data).id as string);
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
    expect([...ids].sort()).toEqual(messages.map((m) => JSON.parse(m).id).sort());
    const sample = out.map((m) => JSON.parse(m.data)).find((r) => r.id === 'msg-100');
    expect(sample).toMatchObject({ id: 'msg-100', metadata: { n: 100 }, model: { name: 'sample' } });
    expect(['accepted', 'review']).toContain(sample.route);

    const dead = await readSubject(client.nc, client.jsm, `${t.stream}_OUT`, t.dlq);
    expect(dead.map((m) => m.data).sort()).toEqual([...poison].sort());
    for (const m of dead) expect(m.headers['IntentOps-Error']).toBe('invalid_input');
    expect(await consumerBacklog(client.jsm, t)).toEqual({ pending: 0, unacked: 0 });

    // B drains and exits 0 on SIGTERM, having done part of the work (A did the rest)
    b.proc.kill('SIGTERM');
    expect(await b.exit).toBe(0);
    const stopped = b.logs().find((l) => l.msg === 'stopped')!;
    expect(stopped).toBeDefined();
    expect(stopped.received as number).toBeGreaterThan(0);
    expect(stopped.received as number).toBeLessThan(total + poison.length);
    expect((stopped.published as number) + (stopped.duplicates as number)).toBeLessThan(total);
    expect(b.logs().some((l) => l.msg === 'stopping: finishing the messages in hand')).toBe(true);
    expect(b.stderr()).toBe('');
  });

  it('fails fast with exit 5 and a hint when NATS cannot be reached, and exit 2 for a broker that is not built in', () => {
    const run = (broker: string) =>
      spawnSync(process.execPath, [CLI_MAIN, 'worker', '--model', model, '--broker', broker], { cwd: tempDir(), env: BASE_ENV, encoding: 'utf8' });
    const down = run('nats://127.0.0.1:1');
    expect(down.status).toBe(5);
    expect(down.stderr).toMatch(/error: broker.uri: cannot connect to NATS at 127\.0\.0\.1:1/);
    expect(down.stderr).toMatch(/hint: is nats-server running/);
    const kafka = run('kafka://localhost:9092');
    expect(kafka.status).toBe(2);
    expect(kafka.stderr).toMatch(/kafka:\/\/ brokers are not built into IntentOps/);
    expect(kafka.stderr).toContain('npm install kafkajs');
    const missing = spawnSync(process.execPath, [CLI_MAIN, 'worker', '--model', join(tempDir(), 'nope')], { cwd: tempDir(), env: BASE_ENV, encoding: 'utf8' });
    expect(missing.status).toBe(3);
  });
});
