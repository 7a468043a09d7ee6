import { IntentOpsError } from '../../core/errors.js';
import type { GateOutcome } from '../../core/gates/index.js';
import { abDecision, type AbResult, type AbRule } from '../../core/rollout/recommend.js';
import { tallyOutcomes, type FeedbackOutcome, type OutcomeTally, type ReviewOutcome } from '../../core/rollout/outcomes.js';
import { checkRolloutSetting, needsChallenger, SPLIT_MODES, type RolloutMode } from '../../core/rollout/state.js';
import { RolloutStats, type RolloutFigures } from '../../core/rollout/stats.js';
import type { FeedbackStore } from '../../ports/feedback-store.js';
import type { PredictionLog, PredictionRecord } from '../../ports/prediction-log.js';
import type { ModelVersion, RegistryStore } from '../../ports/registry-store.js';
import type { ReviewStore } from '../../ports/review-store.js';
import type { RolloutAudit, RolloutStore } from '../../ports/rollout-store.js';
import type { ServingArms } from '../classify/service.js';
import { gateThenPromote, type GateRun } from './gate.js';
import type { IntentModel } from '../classify/model.js';
import { setAlias, showModel, type Registry } from './registry.js';

// --- the serving side: what one server process routes between ------------------------------

export interface LiveRolloutDeps {
  readonly name: string;
  readonly registry: RegistryStore;
  readonly rollout: RolloutStore;
  /** Loads a registry version, ready to serve (verified bundle, registry identity). */
  readonly load: (v: ModelVersion) => Promise<IntentModel>;
  readonly now?: () => Date;
}

/** What this process serves now, and its figures: the `live` part of `rollout status`. */
export interface LiveView {
  readonly mode: RolloutMode;
  readonly share: number;
  readonly champion: number;
  readonly challenger: number | null;
  readonly stats: RolloutFigures;
}

/**
 * The champion (and, while the mode needs it, the challenger) of a registered model, following
 * the registry's aliases and the shared rollout state. `refresh` (polled, and called after a
 * change through this server) loads whatever moved next to what is served and then swaps the
 * whole ServingArms in one assignment. Refreshes run one at a time.
 */
export class LiveRollout {
  private current!: ServingArms;
  private versions!: { champion: number; challenger: number | undefined; pair: string };
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly d: LiveRolloutDeps) {}

  /** Loads what the registry says now; a model without a champion fails with 'not_found'. */
  static async open(d: LiveRolloutDeps): Promise<LiveRollout> {
    const live = new LiveRollout(d);
    await live.refresh();
    return live;
  }

  readonly arms = (): ServingArms => this.current;

  /** Applies the registry and rollout state; resolves with what changed (empty: nothing). */
  refresh(): Promise<string[]> {
    const run = this.chain.then(() => this.apply());
    this.chain = run.catch(() => undefined);
    return run;
  }

  view(): LiveView {
    const a = this.current;
    return { mode: a.mode, share: a.share, champion: this.versions.champion, challenger: a.challenger ? this.versions.challenger! : null, stats: a.stats!.figures() };
  }

  private async apply(): Promise<string[]> {
    const { name, registry } = this.d;
    const [champ, chal, state] = await Promise.all([registry.getVersion(name, { alias: 'champion' }), registry.getVersion(name, { alias: 'challenger' }), this.d.rollout.get(name)]);
    if (!champ) {
      if (!(await registry.getModel(name))) throw new IntentOpsError('not_found', `no registered model named ${JSON.stringify(name)}`, { where: `models:/${name}@champion`, hint: 'list models with `intentops models list`, or register one' });
      throw new IntentOpsError('not_found', `model ${name} has no champion alias`, { where: `models:/${name}@champion`, hint: `set it with \`intentops models alias set ${name} champion VERSION\`` });
    }
    const mode = state?.mode ?? 'off';
    const wanted = needsChallenger(mode) && chal && chal.version !== champ.version ? chal : undefined;
    const prev = this.current;
    const loaded = new Map<number, IntentModel>();
    if (prev) {
      loaded.set(this.versions.champion, prev.champion);
      if (prev.challenger) loaded.set(this.versions.challenger!, prev.challenger);
    }
    // a promoted challenger is already in memory: promotion and rollback swap without loading
    const get = async (v: ModelVersion) => loaded.get(v.version) ?? (await this.d.load(v));
    const champion = await get(champ);
    const challenger = wanted ? await get(wanted) : undefined;
    const applied: RolloutMode = challenger || mode === 'off' ? mode : 'off';
    const share = SPLIT_MODES.includes(applied) ? (state?.share ?? 0) : 0;
    // figures belong to a champion/challenger pair: kept across mode changes, fresh when a version moves
    const pair = `${champ.version}:${chal?.version ?? '-'}`;
    const stats = prev && this.versions.pair === pair ? prev.stats! : new RolloutStats({ champion: String(champ.version), challenger: chal ? String(chal.version) : null, since: (this.d.now ?? (() => new Date()))().toISOString() });
    const changes: string[] = [];
    if (!prev || this.versions.champion !== champ.version) changes.push(`champion v${prev ? this.versions.champion : '–'} → v${champ.version}`);
    if ((prev?.challenger ? this.versions.challenger : undefined) !== wanted?.version) changes.push(`challenger ${wanted ? `v${wanted.version} loaded` : 'unloaded'}`);
    if (prev && this.versions.pair !== pair && this.versions.champion === champ.version) changes.push(`challenger alias → ${chal ? `v${chal.version}` : 'none'}`);
    if (!prev || prev.mode !== applied || prev.share !== share) changes.push(`mode ${applied}${share ? ` ${share}` : ''}${applied !== mode ? ` (${mode} needs a challenger other than the champion)` : ''}`);
    if (changes.length) {
      this.current = { name, mode: applied, share, champion, challenger, stats };
      this.versions = { champion: champ.version, challenger: wanted?.version, pair };
    }
    return changes;
  }
}

// --- the control side: status, set, promote, rollback, A/B analysis ---------------------------

/** Gates the challenger against the champion (evaluation + gates file), as `intentops promote` does. */
export type ChallengerGate = (challenger: ModelVersion, champion: ModelVersion | undefined) => Promise<GateRun>;

/** Where labelled outcomes come from; any may be missing (then it contributes nothing). */
export interface OutcomeSources {
  readonly reviews?: ReviewStore;
  readonly predictions?: PredictionLog;
  readonly feedback?: FeedbackStore;
}

export interface RolloutServiceDeps {
  readonly registry: Registry;
  readonly rollout: RolloutStore;
  readonly gate?: ChallengerGate;
  readonly outcomes?: OutcomeSources;
  readonly rule?: Partial<AbRule>;
  /** In a server: its live view, refreshed right after a change made through it. */
  readonly live?: LiveRollout;
  /** Told what the refresh after a change applied (a server logs it and updates its metrics). */
  readonly onApplied?: (changes: string[]) => void;
  /** Outcomes read per source at most (the oldest since the two versions were registered). */
  readonly maxOutcomes?: number;
}

export interface VersionInfo {
  readonly version: number;
  readonly createdAt: string;
  readonly description: string | null;
  readonly runId: string | null;
}

export interface AbReport extends AbResult {
  readonly bySource: OutcomeTally['bySource'];
  /** The sources read: review, feedback (feedback needs the prediction log to know who answered). */
  readonly sources: readonly string[];
}

export interface RolloutStatus {
  readonly name: string;
  readonly mode: RolloutMode;
  readonly share: number;
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
  readonly note: string | null;
  readonly champion: VersionInfo | null;
  readonly challenger: VersionInfo | null;
  /** The latest rollout changes, newest first. */
  readonly history: readonly RolloutAudit[];
  /** What the answering server process applies, with its per-variant figures. */
  readonly live?: LiveView;
  /** The same figures from the prediction log (every replica), since the later of the two versions was registered. */
  readonly logged?: RolloutFigures;
  readonly ab?: AbReport;
}

export type PromoteResult =
  | { readonly promoted: true; readonly name: string; readonly from: number | null; readonly to: number; readonly gate?: GateOutcome }
  | { readonly promoted: false; readonly name: string; readonly champion: number | null; readonly challenger: number; readonly gate: GateOutcome };

export type RollbackResult =
  | { readonly action: 'rollout-off'; readonly name: string; readonly from: { readonly mode: RolloutMode; readonly share: number }; readonly champion: number }
  | { readonly action: 'champion-restored'; readonly name: string; readonly from: number; readonly to: number };

export interface Actor {
  readonly who: string;
  readonly why: string;
}

const info = (v: ModelVersion | undefined): VersionInfo | null => (v ? { version: v.version, createdAt: v.createdAt, description: v.description, runId: v.runId } : null);

function checkWhy(why: unknown): string {
  if (typeof why !== 'string' || !why.trim()) throw new IntentOpsError('invalid_input', 'a reason is required: it goes in the audit log', { where: 'why', hint: 'pass --why TEXT (API: "why" in the body)' });
  return why.trim();
}

/**
 * Rollout use cases for the CLI (`intentops rollout …`) and the API (`/v1/rollout`). Every
 * change is audited: mode changes in the rollout log, alias moves in the registry's.
 *
 * @example
 *   const rollout = new RolloutService({ registry, rollout: await openRolloutStore(uri) });
 *   await rollout.set('tickets', { mode: 'canary', share: 0.05, who: 'ana', why: 'first 5 %' });
 *   (await rollout.status('tickets', { analysis: true })).ab?.recommendation
 */
export class RolloutService {
  constructor(private readonly d: RolloutServiceDeps) {}

  private async apply(): Promise<void> {
    if (this.d.live) this.d.onApplied?.(await this.d.live.refresh());
  }

  async status(name: string, o: { analysis?: boolean } = {}): Promise<RolloutStatus> {
    const model = await showModel(this.d.registry, name);
    const state = await this.d.rollout.get(name);
    const at = (alias: string) => (model.aliases[alias] === undefined ? undefined : model.versions.find((v) => v.version === model.aliases[alias]));
    const champion = at('champion');
    const challenger = at('challenger');
    const pair = champion && challenger && champion.version !== challenger.version;
    const ab = o.analysis && pair ? await this.analyse(name, champion, challenger) : undefined;
    const logged = o.analysis && pair ? await this.logged(name, champion, challenger) : undefined;
    return {
      name,
      mode: state?.mode ?? 'off',
      share: state?.share ?? 0,
      updatedAt: state?.updatedAt ?? null,
      updatedBy: state?.updatedBy ?? null,
      note: state?.note ?? null,
      champion: info(champion),
      challenger: info(challenger),
      history: await this.d.rollout.history(name, { limit: 5 }),
      ...(this.d.live ? { live: this.d.live.view() } : {}),
      ...(logged ? { logged } : {}),
      ...(ab ? { ab } : {}),
    };
  }

  /** Per-variant figures from the prediction log: answers by version, shadow scores paired by id. */
  private async logged(name: string, champion: ModelVersion, challenger: ModelVersion): Promise<RolloutFigures | undefined> {
    const log = this.d.outcomes?.predictions;
    if (!log) return undefined;
    const since = [champion.createdAt, challenger.createdAt].sort()[1];
    const [c, ch] = [String(champion.version), String(challenger.version)];
    const stats = new RolloutStats({ champion: c, challenger: ch, since });
    const records = (await log.query({ since, limit: this.d.maxOutcomes ?? 50_000 })).filter((r) => r.model.name === name && (r.model.version === c || r.model.version === ch));
    const scored = (r: PredictionRecord) => ({ intent: r.intent, route: r.route, cached: r.cached, timings: { totalMs: r.latencyMs } });
    const answers = new Map<string, PredictionRecord>();
    for (const r of records) {
      // a model shadow's score, or an LLM challenger's shadow answer: not what a client got
      if (r.variant === 'shadow' || r.variant === 'llm-shadow') continue;
      answers.set(r.id, r);
      stats.answered(r.model.version === c ? 'champion' : 'challenger', scored(r));
    }
    for (const r of records) {
      const a = r.variant === 'shadow' && r.model.version === ch ? answers.get(r.id) : undefined;
      if (a && a.model.version === c) stats.shadowed(scored(a), scored(r));
    }
    return stats.figures();
  }

  /** Sets the mode (and share); shadow, canary and ab need a challenger other than the champion. */
  async set(name: string, req: Actor & { mode: unknown; share?: unknown }): Promise<RolloutStatus> {
    const setting = checkRolloutSetting(req.mode, req.share);
    const why = checkWhy(req.why);
    const model = await showModel(this.d.registry, name);
    const { champion, challenger } = model.aliases;
    if (champion === undefined) throw new IntentOpsError('not_found', `model ${name} has no champion alias`, { where: `models:/${name}@champion`, hint: `set it with \`intentops models alias set ${name} champion VERSION\`` });
    if (needsChallenger(setting.mode)) {
      if (challenger === undefined) {
        throw new IntentOpsError('not_found', `model ${name} has no challenger alias: there is nothing to ${setting.mode}`, { where: `models:/${name}@challenger`, hint: `register a version and run \`intentops models alias set ${name} challenger VERSION\`` });
      }
      if (challenger === champion) throw new IntentOpsError('invalid_input', `the challenger (v${challenger}) is the champion: there is nothing to compare`, { where: `models:/${name}@challenger`, hint: 'register a new version as challenger first' });
    }
    await this.d.rollout.set({ name, ...setting, who: req.who, why });
    await this.apply();
    return this.status(name);
  }

  /**
   * Gates the challenger against the champion (unless `force`), then moves `champion` to the
   * challenger's version and turns the rollout off. A failed gate changes nothing.
   */
  async promote(name: string, req: Actor & { force?: boolean }): Promise<PromoteResult> {
    const why = checkWhy(req.why);
    await showModel(this.d.registry, name);
    const store = this.d.registry.store;
    const challenger = await store.getVersion(name, { alias: 'challenger' });
    if (!challenger) throw new IntentOpsError('not_found', `model ${name} has no challenger alias: there is nothing to promote`, { where: `models:/${name}@challenger`, hint: `register a version and run \`intentops models alias set ${name} challenger VERSION\`` });
    const champion = await store.getVersion(name, { alias: 'champion' });
    if (champion?.version === challenger.version) throw new IntentOpsError('invalid_input', `v${challenger.version} is already the champion`, { where: `models:/${name}@challenger`, hint: 'register a new version as challenger first' });
    const check = this.d.gate;
    if (!req.force && !check) {
      throw new IntentOpsError('invalid_input', 'promote runs the quality gate first, and no gates file and test data are configured', { where: 'gates', hint: 'CLI: --gates FILE --data FILE; server: rollout.gates and rollout.data; or force it (recorded with the reason)' });
    }
    const { run, move } = await gateThenPromote({
      registry: this.d.registry,
      name,
      alias: 'champion',
      gate: req.force || !check ? undefined : () => check(challenger, champion),
      version: challenger.version,
      who: req.who,
      why: (r) => (r ? `gate passed: ${r.outcome.summary}; ${why}` : `forced: ${why}`),
    });
    const gate: GateOutcome | undefined = run?.outcome;
    if (!move) return { promoted: false, name, champion: champion?.version ?? null, challenger: challenger.version, gate: gate! };
    await this.d.rollout.set({ name, mode: 'off', share: 0, who: req.who, why: `promoted v${challenger.version}: ${why}` });
    await this.apply();
    return { promoted: true, name, from: move.from, to: challenger.version, ...(gate ? { gate } : {}) };
  }

  /**
   * One step back: while the challenger gets traffic (shadow, canary, ab), the rollout is turned
   * off; otherwise `champion` moves back to the version it had before its last move (audit log).
   */
  async rollback(name: string, req: Actor): Promise<RollbackResult> {
    const why = checkWhy(req.why);
    const model = await showModel(this.d.registry, name);
    const state = await this.d.rollout.get(name);
    if (state && state.mode !== 'off') {
      await this.d.rollout.set({ name, mode: 'off', share: 0, who: req.who, why: `rollback: ${why}` });
      await this.apply();
      return { action: 'rollout-off', name, from: { mode: state.mode, share: state.share }, champion: model.aliases.champion };
    }
    const [last] = await this.d.registry.store.history(name, { alias: 'champion', limit: 1 });
    if (!last || last.to === null) throw new IntentOpsError('not_found', `model ${name} has no champion alias`, { where: `models:/${name}@champion`, hint: `set it with \`intentops models alias set ${name} champion VERSION\`` });
    if (last.from === null) throw new IntentOpsError('invalid_input', `nothing to roll back to: champion v${last.to} is the first champion of ${name}`, { where: `models:/${name}@champion`, hint: `see \`intentops models history ${name}\`` });
    await setAlias(this.d.registry, name, 'champion', last.from, { who: req.who, why: `rollback: ${why}` });
    await this.apply();
    return { action: 'champion-restored', name, from: last.to, to: last.from };
  }

  /** Accuracy of champion and challenger on labelled outcomes, with the test and recommendation. */
  async analyse(name: string, champion: ModelVersion, challenger: ModelVersion): Promise<AbReport> {
    const src = this.d.outcomes ?? {};
    const max = this.d.maxOutcomes ?? 50_000;
    const sources: string[] = [];
    const reviews: ReviewOutcome[] = [];
    if (src.reviews) {
      sources.push('review');
      for (let after: string | undefined; reviews.length < max; ) {
        const page = await src.reviews.list({ state: 'labelled', limit: 500, after });
        for (const i of page) if (i.label !== undefined) reviews.push({ model: i.model, guess: i.guess, label: i.label });
        if (page.length < 500) break;
        after = page[page.length - 1].id;
      }
    }
    const feedback: FeedbackOutcome[] = [];
    if (src.feedback && src.predictions) {
      sources.push('feedback');
      const since = [champion.createdAt, challenger.createdAt].sort()[0];
      // the latest word on each prediction counts
      const latest = new Map((await src.feedback.list({ since, limit: max })).map((f) => [f.predictionId, f]));
      for (const [id, f] of latest) {
        const answered: PredictionRecord | undefined = (await src.predictions.get(id, 'champion')) ?? (await src.predictions.get(id, 'challenger'));
        if (!answered) continue;
        const shadow = answered.variant === 'champion' ? await src.predictions.get(id, 'shadow') : undefined;
        feedback.push({ answered, ...(shadow ? { shadow } : {}), ...(f.correctIntent !== undefined ? { correctIntent: f.correctIntent } : {}), ...(f.rating !== undefined ? { rating: f.rating } : {}) });
      }
    }
    const tally = tallyOutcomes({ name, champion: String(champion.version), challenger: String(challenger.version), reviews, feedback });
    return { ...abDecision({ champion: tally.champion, challenger: tally.challenger, paired: tally.paired, rule: this.d.rule }), bySource: tally.bySource, sources };
  }
}

/** The model a rollout command is about: the one named, or the only registered model. */
export async function rolloutModelName(reg: Registry, name?: string): Promise<string> {
  if (name) return name;
  const models = await reg.store.listModels();
  if (models.length === 1) return models[0].name;
  throw new IntentOpsError('invalid_input', models.length ? `which model? the registry holds ${models.map((m) => m.name).join(', ')}` : 'the registry holds no models', {
    where: '--name',
    hint: models.length ? 'pass --name NAME' : 'register one with `intentops models register DIR --name NAME`',
  });
}
