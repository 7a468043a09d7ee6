import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { serveProcess } from '../helpers/cli-process.js';
import { CONFIDENT, sampleModel } from '../helpers/serving.js';

interface Outcome {
  status?: number;
  connection?: string;
  error?: string;
  afterSignal: boolean;
}

/** One keep-alive POST; resolves with what the client saw (never rejects). */
function post(agent: Agent, port: number, body: string, afterSignal: () => boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/classify', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, afterSignal: afterSignal() }));
      res.once('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, afterSignal: afterSignal() }));
    });
    req.once('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, afterSignal: afterSignal() }));
    req.end(body);
  });
}

describe('SIGTERM under load (real server process, real keep-alive client)', () => {
  it('drains without resetting a single client connection: answers during the drain say Connection: close, then connections are refused', async () => {
    const model = await sampleModel();
    const server = await serveProcess(['--model', model], { INTENTOPS_REVIEW_URI: 'sqlite::memory:', INTENTOPS_EVENTS_URI: 'sqlite::memory:', INTENTOPS_TRACKING_URI: 'none', INTENTOPS_CACHE_URI: 'none' });
    const { proc, exit } = server;
    const port = Number(new URL(server.url).port);

    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const outcomes: Outcome[] = [];
    let signalled = false;
    let done = 0;
    const CLIENTS = 48;
    const texts = [CONFIDENT, 'hmm ok', 'my card payment failed twice', 'well then', 'can I get a refund for the blue shirt'];
    // each client sends requests back to back until the server refuses connections (or 60 s pass)
    const stopAt = Date.now() + 60_000;
    const client = async (n: number) => {
      for (let i = 0; Date.now() < stopAt; i++) {
        const o = await post(agent, port, JSON.stringify({ text: `${texts[(n + i) % texts.length]} ${n}-${i}` }), () => signalled);
        outcomes.push(o);
        done++;
        if (o.error === 'ECONNREFUSED') return;
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
    // SIGTERM once the connections are all busy and warm (waited for, not slept for)
    await expect.poll(() => done, { timeout: 60_000, interval: 20 }).toBeGreaterThanOrEqual(1_000);
    signalled = true;
    proc.kill('SIGTERM');
    await Promise.all(clients);
    agent.destroy();
    expect(await exit).toBe(0);

    const errors = outcomes.filter((o) => o.error && o.error !== 'ECONNREFUSED');
    expect(errors, `client errors: ${JSON.stringify(errors.slice(0, 5))}`).toEqual([]);
    expect(outcomes.filter((o) => o.status !== undefined && o.status !== 200)).toEqual([]);
    // requests kept arriving during the drain, were answered, and told their clients to go
    const drained = outcomes.filter((o) => o.afterSignal && o.status === 200);
    expect(drained.length).toBeGreaterThan(0);
    expect(drained.some((o) => o.connection === 'close')).toBe(true);
    // every client ended on a refused connection: the listener was closed, nothing was reset
    expect(outcomes.filter((o) => o.error === 'ECONNREFUSED')).toHaveLength(CLIENTS);
  }, 120_000);
});
