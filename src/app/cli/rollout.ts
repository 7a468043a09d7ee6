import { Argument, Option, type Command } from 'commander';
import { formatLlmStatus } from '../services/llm-status.js';
import { fetchLlmStatus } from './llm-rollout.js';
import { IntentOpsError, type ErrorCode } from '../../core/errors.js';
import { ROLLOUT_MODES } from '../../core/rollout/state.js';
import type { RolloutFigures, VariantFigures } from '../../core/rollout/stats.js';
import { openOutcomes, openRolloutControl } from '../container/index.js';
import { remoteApiKey, type Config, whoAmI } from '../config.js';
import { formatGateOutcome, GATE_FAILED_EXIT } from '../services/gate.js';
import { rolloutModelName, type OutcomeSources, type RolloutService, type RolloutStatus } from '../services/rollout.js';
import { action, configFor, numberOption, out, type CliIO } from './context.js';

type Common = { name?: string; json?: boolean };

const OFF = 'none';
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)} %`);
const ms = (x: number | undefined) => (x === undefined ? '–' : `${x.toFixed(2)} ms`);

/** `intentops rollout status|set|promote|rollback`: safe rollout of a challenger (same service as /v1/rollout). */
export function registerRollout(program: Command, io: CliIO): void {
  const rollout = program.command('rollout').description('shadow, canary and A/B rollout of the challenger; promote it or roll back (servers follow within registry.pollMs)');
  const named = (c: Command) => c.option('--name <name>', 'registered model (default: the only one in the registry)');

  /** Runs `f` with the rollout service over the configured stores; `outcomes` opens the labelled-outcome stores too. */
  const withControl = async (
    cmd: Command,
    o: Common & { gates?: string; data?: string },
    f: (s: RolloutService, name: string) => Promise<number | void>,
    { outcomes = false, empty }: { outcomes?: boolean; empty?: () => number | void } = {},
  ): Promise<number | void> => {
    const c = configFor(cmd, io);
    const sources = outcomes ? await openOutcomes(c) : { value: {}, close: async () => undefined };
    try {
      const ctl = await openRolloutControl(c, { gates: o.gates, data: o.data, outcomes: sources.value });
      try {
        // an empty registry is a state to report, not an error, for commands that only look
        if (empty && o.name === undefined && (await ctl.registry.store.listModels()).length === 0) return empty();
        return await f(ctl.service, await rolloutModelName(ctl.registry, o.name));
      } finally {
        await ctl.close();
      }
    } finally {
      await sources.close();
    }
  };

  named(rollout.command('status').description('mode, share, versions, live figures of a server (--url) and the A/B analysis'))
    .option('--url <url>', 'ask a running server (GET /v1/rollout): adds its live per-variant figures')
    .option('--api-key <key>', 'API key for --url (default: $INTENTOPS_API_KEY)')
    .option('--json', 'print JSON')
    .action(
      action(io, async (o: Common & { url?: string; apiKey?: string }, cmd: Command) => {
        const show = (s: RolloutStatus) => out(io, o.json ? JSON.stringify(s, null, 2) : formatStatus(s));
        const nothing = (reason: string, hint: string) => out(io, o.json ? JSON.stringify({ name: null, mode: 'off', reason }, null, 2) : `nothing is being rolled out: ${reason} (${hint})`);
        if (o.url) {
          const key = o.apiKey ?? remoteApiKey(io.env);
          const s = await fetchStatus(o.url, key);
          // the LLM fallback's variants and their shadow comparison, when the server has an LLM
          const llm = await fetchLlmStatus(o.url, '24h', key, true);
          if (o.json) return void out(io, JSON.stringify({ ...(s ?? { name: null, mode: 'off' }), ...(llm ? { llm } : {}) }, null, 2));
          if (s) show(s);
          else nothing('the server serves a model directory, not a registry champion', 'serve models:/NAME@champion to roll out between registry versions');
          if (llm) out(io, `\n${formatLlmStatus(llm)}`);
          return;
        }
        const empty = () => nothing('the registry holds no models', 'register one with `intentops models register DIR --name NAME`');
        return withControl(cmd, o, async (s, name) => show(await s.status(name, { analysis: true })), { outcomes: true, empty });
      }),
    );

  named(rollout.command('set').description('set the rollout mode (and the challenger share for canary / ab)'))
    .addArgument(new Argument('<mode>', `one of ${ROLLOUT_MODES.join(', ')}`).choices([...ROLLOUT_MODES]))
    .addOption(new Option('--share <p>', 'share of traffic the challenger answers, 0–1 (canary default 0.05, ab 0.5)').argParser(numberOption('--share')))
    .requiredOption('--why <reason>', 'reason, recorded in the audit log')
    .action(
      action(io, async (mode: string, o: Common & { share?: number; why: string }, cmd: Command) =>
        withControl(cmd, o, async (s, name) => {
          const before = await s.status(name);
          const after = await s.set(name, { mode, share: o.share, who: whoAmI(io.env), why: o.why });
          out(io, `${name}: ${setting(before)} → ${setting(after)} (servers follow within registry.pollMs)`);
        }),
      ),
    );

  named(rollout.command('promote').description('gate the challenger against the champion, then make it the champion and turn the rollout off'))
    .requiredOption('--why <reason>', 'reason, recorded in the audit log')
    .option('--gates <file>', 'YAML gates file (default: rollout.gates)')
    .option('--data <file>', 'labelled test data for the gate (default: rollout.data)')
    .option('--force', 'skip the gate (recorded as forced, with the reason)')
    .action(
      action(io, async (o: Common & { why: string; gates?: string; data?: string; force?: boolean }, cmd: Command) =>
        withControl(cmd, o, async (s, name) => {
          const r = await s.promote(name, { who: whoAmI(io.env), why: o.why, force: o.force });
          if (r.gate) out(io, formatGateOutcome(r.gate));
          if (!r.promoted) {
            out(io, `not promoted: ${name}@champion stays ${r.champion === null ? 'unset' : `v${r.champion}`}`);
            return GATE_FAILED_EXIT;
          }
          out(io, `${name}@champion: ${r.from === null ? 'new' : `v${r.from}`} → v${r.to}; rollout off`);
        }),
      ),
    );

  named(rollout.command('rollback').description('step back: turn a running rollout off, or move champion back to its previous version'))
    .requiredOption('--why <reason>', 'reason, recorded in the audit log')
    .action(
      action(io, async (o: Common & { why: string }, cmd: Command) =>
        withControl(cmd, o, async (s, name) => {
          const r = await s.rollback(name, { who: whoAmI(io.env), why: o.why });
          out(io, r.action === 'rollout-off' ? `${name}: rollout ${setting(r.from)} → off (champion stays v${r.champion})` : `${name}@champion: v${r.from} → v${r.to}`);
        }),
      ),
    );
}


const STATUS_CODE: Readonly<Record<number, ErrorCode>> = { 400: 'invalid_input', 401: 'invalid_input', 404: 'not_found', 409: 'invalid_input' };

/** The server's rollout, or undefined when it serves a bundle directory (nothing to roll out). */
async function fetchStatus(url: string, apiKey?: string): Promise<RolloutStatus | undefined> {
  const target = `${url.replace(/\/+$/, '')}/v1/rollout?analysis=true`;
  let res: Response;
  try {
    res = await fetch(target, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
  } catch (e) {
    throw new IntentOpsError('unavailable', `cannot reach ${target}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`, { where: '--url', hint: 'check the URL and that `intentops serve` runs there' });
  }
  const body = (await res.json().catch(() => ({}))) as RolloutStatus & { detail?: string; type?: string };
  if (res.status === 404 && body.type?.endsWith(':rollout-disabled')) return undefined;
  if (!res.ok) throw new IntentOpsError(STATUS_CODE[res.status] ?? 'unavailable', `the server answered ${res.status}: ${body.detail ?? res.statusText}`, { where: target, hint: res.status === 401 ? 'pass --api-key KEY or set INTENTOPS_API_KEY' : undefined });
  return body;
}

function setting(s: { mode: string; share: number }): string {
  return s.mode === 'canary' || s.mode === 'ab' ? `${s.mode} ${pct(s.share)}` : s.mode;
}

function variantLine(name: string, v: VariantFigures): string {
  const share = (k: number) => (v.requests ? pct(k / v.requests) : '–');
  const lat = v.latencyMs.model ? `model p50 ${ms(v.latencyMs.model.p50)} p99 ${ms(v.latencyMs.model.p99)}` : `answer p50 ${ms(v.latencyMs.total?.p50)} p99 ${ms(v.latencyMs.total?.p99)}`;
  return `  ${name.padEnd(10)} ${String(v.requests).padStart(7)} requests  accepted ${share(v.routes.accepted)}, llm ${share(v.routes.llm)}, review ${share(v.routes.review)}  ${lat}`;
}

/** Plain-text status for a terminal. */
export function formatStatus(s: RolloutStatus): string {
  const lines = [`${s.name}: ${setting(s)}${s.updatedBy ? ` (set by ${s.updatedBy} at ${s.updatedAt}${s.note ? `: ${s.note}` : ''})` : ''}`];
  lines.push(`  champion   ${s.champion ? `v${s.champion.version}` : 'none'}`, `  challenger ${s.challenger ? `v${s.challenger.version}` : 'none'}`);
  const figures = (f: RolloutFigures) => {
    if (!Object.values(f.variants).some((v) => v.requests)) lines.push('  no predictions yet');
    for (const v of ['champion', 'challenger', 'shadow'] as const) if (f.variants[v].requests) lines.push(variantLine(v, f.variants[v]));
    const sh = f.shadow;
    if (sh.compared || sh.dropped) lines.push(`  agreement  ${pct(sh.agreementRate)} same intent (${sh.agreed}/${sh.compared}), ${pct(sh.routeAgreementRate)} same route; ${sh.dropped} skipped (queue full), ${sh.errors} failed`);
  };
  if (s.live) {
    const l = s.live;
    lines.push('', `live (this server process, since ${l.stats.since}): ${setting(l)}, champion v${l.champion}${l.challenger ? `, challenger v${l.challenger} loaded` : ''}`);
    figures(l.stats);
  }
  if (s.logged) {
    lines.push('', `prediction log (all replicas, since ${s.logged.since}):`);
    figures(s.logged);
  }
  if (s.ab) {
    const a = s.ab;
    const arm = (n: string, x: typeof a.champion) => `  ${n.padEnd(10)} ${x.correct}/${x.n} right = ${pct(x.accuracy)}${x.interval ? ` [${pct(x.interval[0])} – ${pct(x.interval[1])}]` : ''}`;
    lines.push('', `A/B (${a.sources.join(' + ') || 'no outcome sources'}): ${a.recommendation.toUpperCase()}: ${a.reason}`, arm('champion', a.champion), arm('challenger', a.challenger));
    if (a.paired) lines.push(`  paired     ${a.paired.n} messages: challenger only right ${a.paired.challengerOnly}, champion only right ${a.paired.championOnly}, McNemar p = ${a.paired.pValue.toPrecision(2)}`);
  }
  if (s.history.length) {
    lines.push('', 'changes (newest first):');
    for (const h of s.history) lines.push(`  ${h.at}  ${h.who}  ${h.from ? setting(h.from) : 'off'} → ${setting(h.to)}${h.why ? `  "${h.why}"` : ''}`);
  }
  return lines.join('\n');
}
