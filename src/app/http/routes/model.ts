import { Hono } from 'hono';
import { modelIdentity } from '../../classify/service.js';
import type { HttpDeps } from '../deps.js';
import type { Env } from '../types.js';

/** `GET /v1/intents` and `GET /v1/models/current`: what the served model knows. */
export function modelRoutes(d: HttpDeps): Hono<Env> {
  const r = new Hono<Env>();
  r.get('/v1/intents', (c) => {
    const m = d.model();
    const oos = new Set(m.manifest.outOfScopeLabels);
    return c.json({ model: modelIdentity(m), intents: m.labels.map((name) => ({ name, outOfScope: oos.has(name) })) });
  });
  r.get('/v1/models/current', (c) => {
    const m = d.model();
    const info = m.describe();
    const p = m.manifest.routing.policy;
    return c.json({
      ...modelIdentity(m),
      createdAt: info.createdAt,
      embedder: info.embedder,
      dataHash: info.dataHash,
      intents: m.labels.length,
      targetPrecision: info.targetPrecision,
      routing: { minConfidence: p.minConfidence, minMargin: p.minMargin, requireKnnAgreement: p.requireKnnAgreement },
      llmFallback: d.classify.llmAvailable,
    });
  });
  return r;
}
