import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import type { GateOutcome } from '../../../core/gates/index.js';
import { ROLLOUT_MODES } from '../../../core/rollout/state.js';
import { parseSince } from '../../services/monitor-report.js';
import type { RolloutService } from '../../services/rollout.js';
import { parse, readJson } from '../body.js';
import type { HttpDeps } from '../deps.js';
import { limitBody } from '../limit.js';
import { HttpProblem } from '../problem.js';
import type { Env } from '../types.js';

/** The header a client names itself with, so rollout splits stick to it. */
export const CLIENT_ID_HEADER = 'x-client-id';
const MAX_CLIENT_ID = 256;

/**
 * The key a request's rollout arm sticks to: the `x-client-id` header, else the API key's name
 * (when auth is on; with auth off everyone is `anonymous`, which would put all clients in one
 * arm), else none (the arm is drawn per request). Goes to ClassifyInput.subject.
 */
export function clientSubject(c: Context<Env>, authOn: boolean): string | undefined {
  const id = c.req.header(CLIENT_ID_HEADER)?.trim();
  if (id) {
    if (id.length > MAX_CLIENT_ID) throw new HttpProblem(400, 'validation', `${CLIENT_ID_HEADER} is ${id.length} characters; the limit is ${MAX_CLIENT_ID}: send a shorter client id (a hash will do)`, { errors: [{ field: `header.${CLIENT_ID_HEADER}`, message: `at most ${MAX_CLIENT_ID} characters` }] });
    return id;
  }
  return authOn ? c.get('principal') : undefined;
}

const why = z.string().trim().min(1, 'give a reason: it goes in the audit log').max(1000);

export const rolloutSchemas = {
  query: z.strictObject({ analysis: z.enum(['true', 'false', '1', '0']).optional() }),
  llmQuery: z.strictObject({
    analysis: z.enum(['true', 'false', '1', '0']).optional(),
    since: z.string().max(40).optional().meta({ description: 'With analysis: how far back the prediction log is read, e.g. 30m, 24h, 7d or an ISO-8601 time (default 24h)' }),
  }),
  set: z.strictObject({
    mode: z.enum(ROLLOUT_MODES as [string, ...string[]]),
    share: z.number().min(0, 'share is a fraction from 0 to 1').max(1, 'share is a fraction from 0 to 1').optional(),
    why,
  }),
  promote: z.strictObject({ why, force: z.boolean().optional() }),
  rollback: z.strictObject({ why }),
};

/** A gate outcome for a response: each gate's verdict, without the per-intent comparison tables. */
function gateSummary(g: GateOutcome) {
  return { passed: g.passed, summary: g.summary, results: g.results.map((r) => ({ gate: r.gate, passed: r.passed, skipped: r.skipped, message: r.message })) };
}

/**
 * `/v1/rollout`: the served champion's rollout. GET reads it (with this process's per-variant
 * figures, and `?analysis=true` the A/B analysis); PUT sets mode and share; POST …/promote gates
 * and promotes the challenger; POST …/rollback steps back. Changes take effect in this process at
 * once and in other replicas within registry.pollMs; the actor is the API key's name.
 */
export function rolloutRoutes(d: HttpDeps): Hono<Env> {
  const r = new Hono<Env>();
  const limit = limitBody(d.settings.bodyLimitBytes, 'server.bodyLimitBytes');
  const rollout = (): { name: string; service: RolloutService } => {
    if (!d.rollout) throw new HttpProblem(404, 'rollout-disabled', 'this server does not serve a registry champion: start it with --model models:/NAME@champion to use /v1/rollout');
    return d.rollout;
  };

  // the LLM fallback's variants: which answers, which shadows it, and how they compare
  r.get('/v1/rollout/llm', async (c) => {
    const q = parse(rolloutSchemas.llmQuery, c.req.query(), 'query');
    // no LLM fallback: nothing served (an answer, not an error: the dashboard asks every server)
    if (!d.llm) return c.json({ served: null });
    const status = d.llm.status();
    if (!(q.analysis === 'true' || q.analysis === '1') || !d.llm.logged) return c.json(status);
    let since: string;
    try {
      since = parseSince(q.since ?? '24h', Date.now());
    } catch (e) {
      throw new HttpProblem(400, 'validation', (e as Error).message, { errors: [{ field: 'query.since', message: 'a duration such as 30m, 24h, 7d or an ISO-8601 time' }] });
    }
    return c.json({ ...status, logged: await d.llm.logged(since) });
  });

  r.get('/v1/rollout', async (c) => {
    const q = parse(rolloutSchemas.query, c.req.query(), 'query');
    const { name, service } = rollout();
    return c.json(await service.status(name, { analysis: q.analysis === 'true' || q.analysis === '1' }));
  });

  r.put('/v1/rollout', limit, async (c) => {
    const body = await readJson(c, rolloutSchemas.set);
    const { name, service } = rollout();
    return c.json(await service.set(name, { mode: body.mode, share: body.share, who: c.get('principal'), why: body.why }));
  });

  r.post('/v1/rollout/promote', limit, async (c) => {
    const body = await readJson(c, rolloutSchemas.promote);
    const { name, service } = rollout();
    const res = await service.promote(name, { who: c.get('principal'), why: body.why, force: body.force });
    if (!res.promoted) {
      throw new HttpProblem(409, 'gate-failed', `not promoted: the challenger v${res.challenger} failed the quality gate (${res.gate.summary}); champion stays ${res.champion === null ? 'unset' : `v${res.champion}`}`, {
        members: { gate: gateSummary(res.gate) },
      });
    }
    return c.json({ ...res, ...(res.gate ? { gate: gateSummary(res.gate) } : {}) });
  });

  r.post('/v1/rollout/rollback', limit, async (c) => {
    const body = await readJson(c, rolloutSchemas.rollback);
    const { name, service } = rollout();
    return c.json(await service.rollback(name, { who: c.get('principal'), why: body.why }));
  });

  return r;
}
