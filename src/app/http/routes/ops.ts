import { Hono } from 'hono';
import type { HttpDeps } from '../deps.js';
import { HttpProblem } from '../problem.js';
import type { Env } from '../types.js';

const PROBE_TIMEOUT_MS = 2000;

/**
 * Liveness, readiness, Prometheus metrics and the OpenAPI document: open without an API key.
 * Readiness fails only for what the replica cannot answer without (the model; see
 * HttpDeps.essentialChecks) and while draining: a shared dependency that is away (Redis, the
 * review store) would otherwise pull every replica out of the load balancer at once.
 */
export function opsRoutes(d: HttpDeps, openapi: () => unknown): Hono<Env> {
  const r = new Hono<Env>();
  r.get('/healthz', (c) => c.json({ status: 'ok' }));

  r.get('/readyz', async (c) => {
    const names = Object.keys(d.checks);
    const results = await Promise.all(names.map((n) => probe(d.checks[n])));
    // the body is public: it says what failed, the log says why (messages may name hosts)
    const checks: Record<string, string> = Object.fromEntries(names.map((n, i) => [n, results[i] === 'ok' ? 'ok' : 'unreachable']));
    for (const [i, n] of names.entries()) if (results[i] !== 'ok') d.log.warn({ requestId: c.get('requestId'), check: n, err: results[i] }, 'readiness check failed');
    if (d.lifecycle?.draining) checks.server = 'shutting down';
    // a dependency the replica can answer without degrades it; only the others make it unready
    const essential = new Set(d.essentialChecks ?? names);
    const failed = Object.entries(checks).filter(([k, v]) => v !== 'ok' && (essential.has(k) || k === 'server'));
    if (failed.length) {
      throw new HttpProblem(503, 'not-ready', `not ready: ${failed.map(([k, v]) => `${k} ${v}`).join(', ')}`, { members: { status: 'unready', checks }, headers: { 'retry-after': '5' } });
    }
    const degraded = Object.keys(checks).filter((k) => checks[k] !== 'ok');
    return c.json(degraded.length ? { status: 'degraded', checks, degraded } : { status: 'ready', checks });
  });

  r.get('/metrics', async (c) => {
    const { contentType, body } = await d.metrics.render();
    return c.body(body, 200, { 'content-type': contentType });
  });

  r.get('/openapi.json', (c) => c.json(openapi()));
  return r;
}

async function probe(check: () => Promise<void>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch (e) {
    return (e as Error).message || String(e);
  } finally {
    clearTimeout(timer);
  }
}
