import type { Command } from 'commander';
import { loadOptions, openEvents, openGateModel, openModel, openRegistry, openTracking, openReviewStoreFor, resolveModelRef, runGate, trainingKit, trainSettings, versionGate } from '../container/index.js';
import { IntentOpsError } from '../../core/errors.js';
import { loadExamples } from '../services/dataset.js';
import { formatGateOutcome, gateThenPromote, GATE_FAILED_EXIT, loadGatesFile } from '../services/gate.js';
import { findVersion } from '../services/registry.js';
import { retrain } from '../services/retrain.js';
import { renderHtml, renderMarkdown, writeReportFile } from '../report/index.js';
import { whoAmI } from '../config.js';
import { action, configFor, out, type CliIO } from './context.js';
import type { GateRun } from '../services/gate.js';

function writeReports(run: GateRun, o: { md?: string; html?: string }): void {
  const input = { report: run.candidate, baseline: run.baseline, comparison: run.comparison, gates: run.outcome };
  if (o.md) writeReportFile(o.md, renderMarkdown(input));
  if (o.html) writeReportFile(o.html, renderHtml(input));
}

/** A baseline given as a bare alias (`champion`) means that alias of the candidate's model. */
function baselineRef(candidate: string, baseline: string): string {
  if (/[/@]/.test(baseline) || !/^[a-z][a-z0-9_-]*$/i.test(baseline)) return baseline;
  const name = candidate.replace(/^models:\//, '').split(/[/@]/)[0];
  return `models:/${name}@${baseline}`;
}

/** `intentops gate`, `promote`, `retrain`: release decisions backed by evaluation and quality gates. */
export function registerLifecycle(program: Command, io: CliIO): void {
  program
    .command('gate')
    .description(`evaluate a candidate (and a baseline) on test data and check a gates file; exit ${GATE_FAILED_EXIT} when a gate fails`)
    .requiredOption('--candidate <ref>', 'bundle directory or registry reference (NAME/V, NAME@ALIAS, models:/…)')
    .option('--baseline <ref>', 'bundle, registry reference, or an alias of the candidate model (e.g. champion)')
    .requiredOption('--gates <file>', 'YAML gates file')
    .requiredOption('--data <file>', 'labelled test data')
    .option('--md <file>', 'write a Markdown summary (for a CI comment)')
    .option('--html <file>', 'write the HTML report')
    .option('--json', 'print the gate run as JSON')
    .action(
      action(io, async (o: Record<string, string | boolean | undefined>, cmd: Command) => {
        const c = configFor(cmd, io);
        const run = await runGate({ gatesFile: String(o.gates), candidateDir: String(o.candidate), baselineDir: o.baseline ? baselineRef(String(o.candidate), String(o.baseline)) : undefined, data: String(o.data), config: c });
        writeReports(run, o as { md?: string; html?: string });
        out(io, o.json ? JSON.stringify(run.outcome, null, 2) : formatGateOutcome(run.outcome));
        return run.outcome.passed ? 0 : GATE_FAILED_EXIT;
      }),
    );

  program
    .command('promote')
    .description('move an alias (default champion) to a registered version, after its quality gate passes')
    .argument('<ref>', 'NAME/V (or models:/NAME/V)')
    .option('--to <alias>', 'alias to move', 'champion')
    .option('--gates <file>', 'YAML gates file (required unless --force)')
    .option('--data <file>', 'labelled test data for the gate (required unless --force)')
    .option('--force', 'skip the gate; needs --why, recorded in the audit log')
    .option('--why <reason>', 'reason recorded in the audit log')
    .action(
      action(io, async (ref: string, o: Record<string, string | boolean | undefined>, cmd: Command) => {
        const c = configFor(cmd, io);
        if (o.force && !o.why) throw new IntentOpsError('invalid_input', '--force needs --why REASON (it is recorded in the audit log)', { where: '--why' });
        if (!o.force && (!o.gates || !o.data)) throw new IntentOpsError('invalid_input', 'promote runs the quality gate first: give --gates FILE and --data FILE (or --force --why REASON)', { where: '--gates' });
        const reg = await openRegistry(c);
        try {
          const target = await findVersion(reg, ref);
          const alias = String(o.to);
          const current = o.force ? undefined : await reg.store.getVersion(target.name, { alias });
          const gate = o.force ? undefined : versionGate(c, { gates: String(o.gates), data: String(o.data) });
          const { run, move } = await gateThenPromote({
            registry: reg,
            name: target.name,
            alias,
            gate: gate && (() => gate(target, current ?? undefined)),
            version: target.version,
            who: whoAmI(),
            why: (r) => (r ? [`gate passed: ${r.outcome.summary}`, o.why].filter(Boolean).join('; ') : `forced: ${o.why}`),
          });
          if (run) out(io, formatGateOutcome(run.outcome));
          if (!move) {
            out(io, `not promoted: ${target.name}@${alias} stays ${current ? `v${current.version}` : 'unset'}`);
            return GATE_FAILED_EXIT;
          }
          out(io, `${target.name}@${alias}: ${move.from === null ? 'new' : `v${move.from}`} → v${move.to}`);
          return 0;
        } finally {
          await reg.store.close();
        }
      }),
    );

  program
    .command('retrain')
    .description('current data + labelled review items and feedback corrections → tracked run → evaluation → gate vs champion → registered as challenger')
    .requiredOption('--data <file>', 'current training data')
    .requiredOption('--test <file>', 'labelled test data for evaluation and the gate')
    .requiredOption('--gates <file>', 'YAML gates file')
    .requiredOption('--name <name>', 'registered model name')
    .requiredOption('--out <dir>', 'where to write the new bundle')
    .option('--embedder <name>', 'hashed | onnx | … (default from config)')
    .option('--review-store <uri>', 'review queue whose labelled items join the training data (default from config)')
    .option('--events-store <uri>', 'prediction log + feedback whose corrections (and LLM / sure answers) join the training data (default: events.uri; none to skip)')
    .option('--labels <sources>', 'machine labels to learn from: llm, self, llm,self or none (default from retrain.labels)')
    .option('--labels-since <days>', 'read LLM and accepted answers of the last DAYS days (default 30)')
    .option('--llm-weight <w>', 'training weight of an LLM label, in (0, 1]; a person\'s label weighs 1 (default 0.5)')
    .option('--self-weight <w>', 'training weight of a self-training label, in (0, 1] (default 0.3)')
    .option('--self-min-confidence <p>', 'accepted answers below this confidence are not learnt from (default 0.9)')
    .option('--llm-out-of-scope', 'learn the LLM\'s "none of these" answers as out-of-scope examples')
    .option('--min-agreement <a>', 'drop machine labels that fewer than this share of the champion\'s nearest labelled examples carry (default 0: off)')
    .option('--max-per-intent <n>', 'machine labels per intent at most, the newest kept; 0 = no cap (default 400)')
    .option('--max-per-intent-per-day <n>', 'machine labels per intent and day at most; 0 = no cap (default 50)')
    .option('--json', 'print the result (labels used per provenance, gate outcome, version) as JSON')
    .action(
      action(io, async (o: Record<string, string | boolean | undefined>, cmd: Command) => {
        const c = configFor(cmd, io, { embedder: o.embedder, retrain: { labels: labelFlags(o) } });
        const gates = loadGatesFile(String(o.gates));
        const reg = await openRegistry(c);
        const tracking = await openTracking(c);
        const review = await openReviewStoreFor(c, o.reviewStore as string | undefined);
        const eventsUri = (o.eventsStore as string | undefined) ?? c.events.uri;
        const events = eventsUri === 'none' ? undefined : await openEvents(c, { store: eventsUri }).catch(async (e: unknown) => {
          await Promise.all([reg.store.close(), tracking.close(), review.close()]);
          throw e;
        });
        try {
          const champion = await reg.store.getVersion(String(o.name), { alias: 'champion' });
          const baseline = champion ? await openGateModel(await resolveModelRef(`models:/${o.name}/${champion.version}`, c), c) : undefined;
          const test = (await loadExamples(String(o.test), { ...loadOptions(c), keepDuplicates: true })).examples;
          const r = await retrain({
            data: String(o.data),
            load: loadOptions(c),
            review,
            feedback: events?.feedback,
            test,
            gates,
            name: String(o.name),
            out: String(o.out),
            train: trainSettings(c),
            kit: trainingKit,
            tracking,
            registry: reg,
            open: (dir) => openGateModel(dir, c),
            baseline,
            who: whoAmI(),
            predictions: events?.predictions,
            labels: c.retrain.labels,
            calibrateOn: c.retrain.calibrateOn,
          });
          if (o.json) {
            out(io, JSON.stringify({ runId: r.runId, added: r.added, labels: r.labels ?? null, gate: { passed: r.gate.outcome.passed, summary: r.gate.outcome.summary }, version: r.version ?? null }, null, 2));
            return r.version === undefined ? GATE_FAILED_EXIT : 0;
          }
          out(io, `run ${r.runId}: trained with ${r.added.review} labelled review items added`);
          if (events) out(io, `  and ${r.added.feedback} feedback corrections (${r.added.superseded} labels superseded by a later one; ${r.added.feedbackWithoutText} corrections without a stored text: enable events.storeTexts)`);
          out(io, formatGateOutcome(r.gate.outcome, r.labels));
          if (r.version === undefined) return GATE_FAILED_EXIT;
          out(io, `registered ${o.name} v${r.version} as challenger (promote with \`intentops promote ${o.name}/${r.version} --gates … --data …\`)`);
          return 0;
        } finally {
          await Promise.all([reg.store.close(), tracking.close(), review.close(), events?.close()]);
        }
      }),
    );
}

/** A number flag, or a clear error naming it. */
function numberFlag(o: Record<string, string | boolean | undefined>, key: string, flag: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new IntentOpsError('invalid_input', `${flag} ${JSON.stringify(v)} is not a number`, { where: flag, hint: `give a number, e.g. ${flag} 0.5` });
  return n;
}

/** The retrain.labels settings the flags override (undefined = from the config); the config schema validates the values. */
export function labelFlags(o: Record<string, string | boolean | undefined>): Record<string, unknown> {
  let llm: boolean | undefined;
  let self: boolean | undefined;
  if (o.labels !== undefined) {
    const names = String(o.labels).split(',').map((x) => x.trim()).filter(Boolean);
    const bad = names.find((x) => !['llm', 'self', 'none'].includes(x));
    if (bad !== undefined || names.length === 0 || (names.includes('none') && names.length > 1)) {
      throw new IntentOpsError('invalid_input', `--labels ${JSON.stringify(o.labels)}: ${bad !== undefined ? `unknown source ${JSON.stringify(bad)}` : 'give sources or none'}`, { where: '--labels', hint: 'use llm, self, llm,self or none' });
    }
    llm = names.includes('llm');
    self = names.includes('self');
  }
  const minAgreement = numberFlag(o, 'minAgreement', '--min-agreement');
  return {
    sinceDays: numberFlag(o, 'labelsSince', '--labels-since'),
    maxPerIntent: numberFlag(o, 'maxPerIntent', '--max-per-intent'),
    maxPerIntentPerDay: numberFlag(o, 'maxPerIntentPerDay', '--max-per-intent-per-day'),
    llm: { enabled: llm, weight: numberFlag(o, 'llmWeight', '--llm-weight'), outOfScope: o.llmOutOfScope ? true : undefined, minAgreement },
    self: { enabled: self, weight: numberFlag(o, 'selfWeight', '--self-weight'), minConfidence: numberFlag(o, 'selfMinConfidence', '--self-min-confidence'), minAgreement },
  };
}
