import { Argument, type Command } from 'commander';
import { IntentOpsError, type ErrorCode } from '../../core/errors.js';
import { openLlmRegistry, openPredictionLog, SHADOW_ALIAS } from '../container/index.js';
import { remoteApiKey, whoAmI } from '../config.js';
import { formatLlmStatus, loggedLlmShadow, type LlmStatus } from '../services/llm-status.js';
import { parseSince } from '../services/monitor-report.js';
import { deleteAlias, setAlias, showModel } from '../services/registry.js';
import { action, configFor, out, type CliIO } from './context.js';

/*
 * `intentops llm status` and `intentops llm rollout shadow|off NAME`: the LLM variants as served.
 * Shadow mode is marked in the variant registry by the `shadow` alias (pointing at the challenger
 * it was set for), so turning it on or off is audited like any alias move and every serving
 * replica following llm.variant picks it up within registry.pollMs.
 */

const STATUS_CODE: Readonly<Record<number, ErrorCode>> = { 400: 'invalid_input', 401: 'invalid_input', 404: 'not_found' };

/** GET /v1/rollout/llm?analysis=true of a running server (`optional`: undefined when the server has no LLM). */
export async function fetchLlmStatus(url: string, since: string, apiKey?: string, optional = false): Promise<LlmStatus | undefined> {
  const target = `${url.replace(/\/+$/, '')}/v1/rollout/llm?analysis=true&since=${encodeURIComponent(since)}`;
  let res: Response;
  try {
    res = await fetch(target, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new IntentOpsError('unavailable', `cannot reach ${target}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`, { where: '--url', hint: 'check the URL and that `intentops serve` runs there' });
  }
  const body = (await res.json().catch(() => ({}))) as LlmStatus & { detail?: string };
  if (optional && (res.status === 404 || (res.ok && !body.served))) return undefined;
  if (!res.ok) throw new IntentOpsError(STATUS_CODE[res.status] ?? 'unavailable', `the server answered ${res.status}: ${body.detail ?? res.statusText}`, { where: target, hint: res.status === 401 ? 'pass --api-key KEY or set INTENTOPS_API_KEY' : undefined });
  return body;
}

export function registerLlmRollout(llm: Command, io: CliIO, flags: { registry: string; artifacts: string }): void {
  llm
    .command('status')
    .description("the LLM variants as served: the champion that answers, the challenger shadowing it, and their agreement, cost and latency (from a running server with --url, else from the prediction log)")
    .option('--url <url>', 'ask a running server (GET /v1/rollout/llm): adds its live figures')
    .option('--api-key <key>', 'API key for --url (default: $INTENTOPS_API_KEY)')
    .option('--since <when>', 'how far back the prediction log is read: 30m, 24h, 7d or an ISO-8601 time', '24h')
    .option('--name <name>', 'registered variant name (default: llm.variant)')
    .option('--registry <uri>', flags.registry)
    .option('--artifacts <uri>', flags.artifacts)
    .option('--json', 'print JSON')
    .action(
      action(io, async (o: { url?: string; apiKey?: string; since: string; name?: string; registry?: string; artifacts?: string; json?: boolean }, cmd: Command) => {
        const since = parseSince(o.since, Date.now());
        let status: LlmStatus;
        if (o.url) status = (await fetchLlmStatus(o.url, o.since, o.apiKey ?? remoteApiKey(io.env)))!;
        else {
          const c = configFor(cmd, io);
          const name = o.name ?? c.llm.variant;
          let served: LlmStatus['served'] = null;
          if (name) {
            const reg = await openLlmRegistry(c, o);
            try {
              const m = await showModel(reg, name);
              const label = (alias: string) => (m.aliases[alias] === undefined ? null : `${name}@${m.aliases[alias]}`);
              const on = m.aliases.challenger !== undefined && m.aliases.challenger !== m.aliases.champion && (c.llm.shadow.enabled || m.aliases[SHADOW_ALIAS] !== undefined);
              served = { name, champion: label('champion') ?? '(prompt file)', challenger: on ? label('challenger') : null, shadow: { on, sampleRate: c.llm.shadow.sampleRate, maxInFlight: c.llm.shadow.maxInFlight } };
            } finally {
              await reg.store.close();
            }
          }
          if (c.events.uri === 'none') throw new IntentOpsError('invalid_config', 'no prediction log to read (events.uri is none)', { where: 'events.uri', hint: 'set events.uri, or ask a running server with --url' });
          const log = await openPredictionLog(c.events.uri);
          try {
            status = { served, logged: await loggedLlmShadow(log, since) };
          } finally {
            await log.close();
          }
        }
        out(io, o.json ? JSON.stringify(status, null, 2) : formatLlmStatus(status));
      }),
    );

  llm
    .command('rollout')
    .description("turn shadow mode for NAME's challenger on or off: the challenger also answers a sample (llm.shadow.sampleRate) of the messages the champion answers; only the champion's answer is used (audited as a move of the `shadow` alias; servers follow within registry.pollMs)")
    .addArgument(new Argument('<mode>', 'shadow or off').choices(['shadow', 'off']))
    .argument('<name>', 'registered variant name')
    .requiredOption('--why <reason>', 'reason, recorded in the audit log')
    .option('--registry <uri>', flags.registry)
    .option('--artifacts <uri>', flags.artifacts)
    .action(
      action(io, async (mode: 'shadow' | 'off', name: string, o: { why: string; registry?: string; artifacts?: string }, cmd: Command) => {
        const reg = await openLlmRegistry(configFor(cmd, io), o);
        try {
          const m = await showModel(reg, name);
          if (mode === 'off') {
            if (m.aliases[SHADOW_ALIAS] === undefined) return void out(io, `${name}: shadow already off`);
            await deleteAlias(reg, name, SHADOW_ALIAS, { who: whoAmI(io.env), why: o.why });
            return void out(io, `${name}: shadow off (was ${name}@${m.aliases[SHADOW_ALIAS]})`);
          }
          const { champion, challenger } = m.aliases;
          if (challenger === undefined) throw new IntentOpsError('not_found', `${name} has no challenger alias: there is nothing to shadow`, { where: `${name}@challenger`, hint: `intentops llm register FILE --name ${name} --alias challenger` });
          if (challenger === champion) throw new IntentOpsError('invalid_input', `the challenger (${name}/${challenger}) is the champion: there is nothing to compare`, { where: `${name}@challenger`, hint: 'register a new version as challenger first' });
          await setAlias(reg, name, SHADOW_ALIAS, challenger, { who: whoAmI(io.env), why: o.why });
          out(io, `${name}: shadow on: ${name}@${challenger} shadows ${champion === undefined ? 'the prompt file' : `${name}@${champion}`}`);
        } finally {
          await reg.store.close();
        }
      }),
    );
}
