import { resolve } from 'node:path';
import { nearKey } from '../../core/dataset/index.js';
import type { Alert } from '../../core/monitor/index.js';
import type { LoopIteration, LoopStore } from '../../ports/loop-store.js';
import type { ModelVersion } from '../../ports/registry-store.js';
import type { ReviewStore } from '../../ports/review-store.js';
import type { Classifier } from '../classify/model.js';
import type { AlertSink } from './alerts.js';
import { loadExamples } from './dataset.js';
import type { FeedbackExamples } from './feedback.js';
import { setAlias, type Registry } from './registry.js';
import { retrain, type RetrainRequest, type RetrainResult } from './retrain.js';
import type { RolloutService } from './rollout.js';

export interface LoopSettings {
  readonly minNewLabels: number;
  /** Each iteration's bundle goes to `<workDir>/iteration-<id>`: the key that finds its registered version again after a crash. */
  readonly workDir: string;
  readonly shadow: { readonly minMessages: number; readonly minAgreement: number; readonly maxWaitHours: number; readonly requireAbPromote: boolean };
}

/** Where the labels come from (the same stores retrain reads). */
export interface LabelSources {
  readonly review?: Pick<ReviewStore, 'list'>;
  readonly feedback?: { labelledExamples(): Promise<FeedbackExamples> };
  /** Machine-label candidates (LLM answers with a stored text) logged since a time, when retrain learns from them. */
  readonly machineSince?: (since: string) => Promise<number>;
}

export interface LoopDeps {
  readonly name: string;
  readonly store: LoopStore;
  readonly registry: Registry;
  readonly rollout: Pick<RolloutService, 'status' | 'set' | 'promote'>;
  readonly sources: LabelSources;
  /** Everything retrain needs but what the loop decides: output, labels, baseline, name, who. */
  readonly retrain: Omit<RetrainRequest, 'out' | 'review' | 'feedback' | 'baseline' | 'name' | 'who'>;
  /** Opens a registered version to gate against (the champion). */
  readonly open: (v: ModelVersion) => Promise<Classifier>;
  readonly settings: LoopSettings;
  readonly who: string;
  readonly alerts?: AlertSink;
  readonly now?: () => Date;
  /**
   * Crash tests stop the loop here: after an outside effect committed but before the loop saved
   * that it did (`registered`, `shadow-set`, `promoted`), and after each step's state is saved
   * (`<step>:end`).
   */
  readonly checkpoint?: (point: string, it: LoopIteration) => void | Promise<void>;
}

/** What one `loop run` did: the steps taken and where the iteration stands. */
export interface LoopRunResult {
  readonly name: string;
  readonly status: 'idle' | 'waiting' | 'promoted' | 'stopped';
  readonly iteration: LoopIteration;
  readonly steps: readonly string[];
  readonly message: string;
}

type Step = (it: LoopIteration) => Promise<{ it: LoopIteration; outcome: string; detail: string; wait?: boolean }>;

const labelsOf = async (s: LabelSources): Promise<number> => {
  let n = 0;
  if (s.review) {
    for (let after: string | undefined; ; ) {
      const page = await s.review.list({ state: 'labelled', limit: 1000, after });
      n += page.filter((i) => i.label !== undefined).length;
      if (page.length < 1000) break;
      after = page[page.length - 1].id;
    }
  }
  if (s.feedback) n += (await s.feedback.labelledExamples()).examples.length;
  return n;
};

/**
 * The loop as a persisted state machine, one step at a time: collect labels → retrain (gated
 * against the champion, registered as challenger) → shadow → judge the shadow evidence → promote,
 * or stop with an alert and the reason. Each `run` reads the open iteration, does the steps that
 * are due, journals each (start, end, outcome) and returns; a shadow needs live traffic, so a run
 * that starts one returns `waiting` and a later run judges it. Every step is idempotent, keyed by
 * the iteration id: a retrain whose version is registered (found by its bundle directory) is not
 * registered again, a promotion already done is not redone. The test set is never trained on:
 * data overlapping it stops the iteration, labels of its texts are held out (counted).
 *
 * @example
 *   const r = await new LoopService(deps).run();   // r.status: idle | waiting | promoted | stopped
 */
export class LoopService {
  private readonly now: () => Date;

  constructor(private readonly d: LoopDeps) {
    this.now = d.now ?? (() => new Date());
  }

  /** The latest iterations (newest first) and the journal of the latest. */
  async status(limit = 10) {
    const iterations = await this.d.store.iterations(this.d.name, { limit });
    return { name: this.d.name, iterations, journal: iterations[0] ? await this.d.store.journal(iterations[0].id) : [] };
  }

  async run(): Promise<LoopRunResult> {
    const { store, name } = this.d;
    const [latest] = await store.iterations(name, { limit: 1 });
    let it = latest && latest.state !== 'done' ? latest : undefined;
    const steps: string[] = [];
    if (!it) {
      const labels = await labelsOf(this.d.sources);
      const last = (await store.iterations(name, { limit: 50 })).find((i) => i.outcome === 'promoted' || i.outcome === 'stopped');
      const human = labels - (last?.labels ?? 0);
      const machine = this.d.sources.machineSince ? await this.d.sources.machineSince(last?.startedAt ?? new Date(0).toISOString()) : 0;
      const fresh = human + machine;
      if (fresh < this.d.settings.minNewLabels) {
        const reason = `${fresh} new label(s) since the last retrain (${human} from people${this.d.sources.machineSince ? `, ${machine} LLM answers` : ''}), fewer than loop.minNewLabels (${this.d.settings.minNewLabels})`;
        // one idle row between real iterations, updated in place: idle ticks do not grow the store
        let idle = latest?.outcome === 'idle' ? latest : undefined;
        if (!idle) {
          idle = await store.begin(name);
          await store.record({ iteration: idle.id, step: 'collect', phase: 'start' });
          await store.record({ iteration: idle.id, step: 'collect', phase: 'end', outcome: 'idle', detail: reason });
        }
        idle = await store.save({ ...idle, state: 'done', outcome: 'idle', reason, detail: { labels, checks: Number(idle.detail.checks ?? 0) + 1 } });
        return { name, status: 'idle', iteration: idle, steps: ['collect'], message: reason };
      }
      it = await store.begin(name);
      await store.record({ iteration: it.id, step: 'collect', phase: 'start' });
      it = await store.save({ ...it, state: 'retrain', labels, detail: { newLabels: fresh, newHumanLabels: human, newMachineLabels: machine } });
      await store.record({ iteration: it.id, step: 'collect', phase: 'end', outcome: 'ok', detail: `${labels} labels from people (${human} new)${this.d.sources.machineSince ? `, ${machine} new LLM answers` : ''}` });
      steps.push('collect');
      await this.d.checkpoint?.('collect:end', it);
    }
    const table: Record<string, Step> = { retrain: (i) => this.retrain(i), shadow: (i) => this.shadow(i), judge: (i) => this.judge(i), promote: (i) => this.promote(i) };
    while (it.state !== 'done') {
      const step = it.state;
      await store.record({ iteration: it.id, step, phase: 'start' });
      let r: Awaited<ReturnType<Step>>;
      try {
        r = await table[step](it);
      } catch (e) {
        await store.record({ iteration: it.id, step, phase: 'end', outcome: 'failed', detail: (e as Error).message }).catch(() => undefined);
        throw e;
      }
      it = r.it;
      await store.record({ iteration: it.id, step, phase: 'end', outcome: r.outcome, detail: r.detail });
      steps.push(step);
      await this.d.checkpoint?.(`${step}:end`, it);
      if (r.wait) return { name, status: 'waiting', iteration: it, steps, message: r.detail };
    }
    return { name, status: it.outcome === 'promoted' ? 'promoted' : 'stopped', iteration: it, steps, message: it.reason ?? '' };
  }

  /** Ends the iteration: rollout off if our challenger is in it, an alert, the reason saved. */
  private async stop(it: LoopIteration, reason: string, detail: Record<string, unknown> = {}): Promise<{ it: LoopIteration; outcome: string; detail: string }> {
    const status = await this.d.rollout.status(this.d.name).catch(() => undefined);
    if (status && status.mode !== 'off' && status.challenger?.version === it.version) {
      await this.d.rollout.set(this.d.name, { mode: 'off', who: this.d.who, why: `loop iteration ${it.id} stopped: ${reason}` });
    }
    const at = this.now().toISOString();
    const alert: Alert = { kind: 'loop_stopped', severity: 'alert', value: it.id, threshold: 0, window: { since: it.startedAt, until: at, samples: 0 }, message: `loop of ${this.d.name} stopped (iteration ${it.id}): ${reason}` };
    this.d.alerts?.emit([alert], { model: this.d.name, iteration: it.id, version: it.version });
    const saved = await this.d.store.save({ ...it, state: 'done', outcome: 'stopped', reason, detail: { ...it.detail, ...detail } });
    return { it: saved, outcome: 'stopped', detail: reason };
  }

  private async retrain(it: LoopIteration): Promise<Awaited<ReturnType<Step>>> {
    const { registry, name } = this.d;
    const out = resolve(this.d.settings.workDir, `iteration-${it.id}`);
    // a run that crashed after registering: its version is found by its bundle directory, not registered again
    const model = await registry.store.getModel(name);
    const done = model?.versions.find((v) => v.source === out);
    if (done) {
      if (model!.aliases.challenger !== done.version) await setAlias(registry, name, 'challenger', done.version, { who: this.d.who, why: `loop iteration ${it.id}: resumed after a crash` });
      const saved = await this.d.store.save({ ...it, state: 'shadow', version: done.version, baseline: model!.aliases.champion ?? null, detail: { ...it.detail, resumed: true } });
      return { it: saved, outcome: 'ok', detail: `v${done.version} was already registered by this iteration (resumed)` };
    }
    // never judged on what it learned from: the data must not hold test texts, and labels of test texts are held out
    const test = this.d.retrain.test;
    const testKeys = new Set(test.map((e) => nearKey(e.text)));
    const base = await loadExamples(this.d.retrain.data, this.d.retrain.load);
    const leaked = base.examples.filter((e) => testKeys.has(nearKey(e.text)));
    if (leaked.length) {
      return this.stop(it, `the training data ${this.d.retrain.data} holds ${leaked.length} text(s) of the test set (e.g. ${JSON.stringify(leaked[0].text.slice(0, 60))}): the gate would judge on what the model learned; remove them from loop.data or use a held-out loop.test`, { leakedTexts: leaked.length });
    }
    let heldOut = 0;
    const { review, feedback } = this.d.sources;
    const review2: LabelSources['review'] = review && {
      list: async (q) =>
        (await review.list(q)).map((i) => {
          if (i.label === undefined || !testKeys.has(nearKey(i.text))) return i;
          heldOut++;
          return { ...i, label: undefined };
        }),
    };
    const feedback2: LabelSources['feedback'] = feedback && {
      labelledExamples: async () => {
        const f = await feedback.labelledExamples();
        const examples = f.examples.filter((e) => !testKeys.has(nearKey(e.text)));
        heldOut += f.examples.length - examples.length;
        return { ...f, examples };
      },
    };
    // machine labels (LLM and sure answers from the prediction log) of test texts are held out the same way
    const log = this.d.retrain.predictions;
    const predictions: RetrainRequest['predictions'] = log && {
      query: async (q) =>
        (await log.query(q)).map((r) => {
          if (r.text === undefined || r.variant === 'shadow' || !testKeys.has(nearKey(r.text))) return r;
          heldOut++;
          return { ...r, text: undefined };
        }),
    };
    const champion = await registry.store.getVersion(name, { alias: 'champion' });
    const r: RetrainResult = await retrain({
      ...this.d.retrain,
      predictions,
      out,
      name,
      who: this.d.who,
      review: review2,
      feedback: feedback2,
      baseline: champion ? await this.d.open(champion) : undefined,
    });
    const machine = r.labels && { llm: r.labels.llm.used, self: r.labels.self.used, llmCandidates: r.labels.llm.candidates, selfCandidates: r.labels.self.candidates };
    const figures = { runId: r.runId, added: r.added, ...(machine && { machineLabels: machine }), heldOutTestLabels: heldOut, gate: r.gate.outcome.summary, accuracy: r.gate.candidate.accuracy };
    if (r.version !== undefined) await this.d.checkpoint?.('registered', it);
    if (r.version === undefined) return this.stop(it, `the challenger failed its gate against ${champion ? `champion v${champion.version}` : 'the gates file'}: ${r.gate.outcome.summary}`, figures);
    const saved = await this.d.store.save({ ...it, state: 'shadow', version: r.version, baseline: champion?.version ?? null, detail: { ...it.detail, ...figures } });
    return { it: saved, outcome: 'ok', detail: `registered v${r.version} as challenger (run ${r.runId}; ${r.added.review} review, ${r.added.feedback} feedback${machine ? `, ${machine.llm} LLM, ${machine.self} self-training` : ''} labels; ${heldOut} test-set labels held out); gate: ${r.gate.outcome.summary}` };
  }

  private async shadow(it: LoopIteration): Promise<Awaited<ReturnType<Step>>> {
    const { name, rollout, settings } = this.d;
    const status = await rollout.status(name);
    if (!status.champion) {
      const saved = await this.d.store.save({ ...it, state: 'promote', detail: { ...it.detail, shadow: 'skipped: no champion yet' } });
      return { it: saved, outcome: 'skipped', detail: 'no champion to shadow: the gated challenger becomes the first champion' };
    }
    if (settings.shadow.minMessages === 0) {
      const saved = await this.d.store.save({ ...it, state: 'promote', detail: { ...it.detail, shadow: 'skipped: loop.shadow.minMessages is 0' } });
      return { it: saved, outcome: 'skipped', detail: 'loop.shadow.minMessages is 0: promoting on the gates alone' };
    }
    if (status.challenger?.version !== it.version) return this.stop(it, `the challenger alias moved to ${status.challenger ? `v${status.challenger.version}` : 'nothing'} outside the loop (this iteration registered v${it.version})`);
    // already in shadow (a run that crashed after setting it): not set again, its start time kept
    let since = status.updatedAt ?? this.now().toISOString();
    if (status.mode !== 'shadow') {
      const after = await rollout.set(name, { mode: 'shadow', who: this.d.who, why: `loop iteration ${it.id}: shadow v${it.version} beside champion v${status.champion.version}` });
      since = after.updatedAt ?? this.now().toISOString();
      await this.d.checkpoint?.('shadow-set', it);
    }
    const saved = await this.d.store.save({ ...it, state: 'judge', shadowSince: since });
    return { it: saved, outcome: 'waiting', detail: `v${it.version} in shadow beside champion v${status.champion.version}: waiting for ${settings.shadow.minMessages} shadowed messages`, wait: true };
  }

  private async judge(it: LoopIteration): Promise<Awaited<ReturnType<Step>>> {
    const { name, rollout, settings } = this.d;
    const s = settings.shadow;
    const status = await rollout.status(name, { analysis: true });
    if (status.challenger?.version !== it.version || status.mode !== 'shadow') {
      if (status.champion?.version === it.version) {
        const saved = await this.d.store.save({ ...it, state: 'promote' });
        return { it: saved, outcome: 'ok', detail: `v${it.version} is already the champion` };
      }
      return this.stop(it, `the shadow of v${it.version} was changed outside the loop (mode ${status.mode}, challenger ${status.challenger ? `v${status.challenger.version}` : 'none'})`);
    }
    const shadow = status.logged?.shadow;
    if (!shadow) return this.stop(it, 'no shadow evidence: the shadow figures come from the prediction log (set events.uri to a database the servers write)');
    const figures = { compared: shadow.compared, agreementRate: shadow.agreementRate, ab: status.ab ? { recommendation: status.ab.recommendation, reason: status.ab.reason } : null };
    const waited = (this.now().getTime() - Date.parse(it.shadowSince ?? it.updatedAt)) / 3_600_000;
    const wait = async (what: string) => {
      if (waited >= s.maxWaitHours) return this.stop(it, `${what} after ${waited.toFixed(1)} h (loop.shadow.maxWaitHours ${s.maxWaitHours})`, { shadow: figures });
      const saved = await this.d.store.save({ ...it, detail: { ...it.detail, shadow: figures } });
      return { it: saved, outcome: 'waiting', detail: `${what}; waiting`, wait: true };
    };
    if (shadow.compared < s.minMessages) return wait(`${shadow.compared} of ${s.minMessages} shadowed messages`);
    if ((shadow.agreementRate ?? 0) < s.minAgreement) {
      return this.stop(it, `the challenger agrees with the champion on ${(100 * (shadow.agreementRate ?? 0)).toFixed(1)} % of ${shadow.compared} shadowed messages, below loop.shadow.minAgreement ${(100 * s.minAgreement).toFixed(1)} %`, { shadow: figures });
    }
    const ab = status.ab;
    if (ab && ab.recommendation === 'keep champion' && (ab.difference ?? 0) < 0 && /significantly less/.test(ab.reason)) return this.stop(it, `A/B analysis: ${ab.reason}`, { shadow: figures });
    if (s.requireAbPromote && ab?.recommendation !== 'promote') return wait(`A/B analysis says ${ab ? `${ab.recommendation}: ${ab.reason}` : 'nothing (no labelled outcomes)'}`);
    const saved = await this.d.store.save({ ...it, state: 'promote', detail: { ...it.detail, shadow: figures } });
    return { it: saved, outcome: 'ok', detail: `shadow: ${shadow.compared} messages, ${(100 * (shadow.agreementRate ?? 0)).toFixed(1)} % agreement${ab ? `; A/B: ${ab.recommendation}` : ''}` };
  }

  private async promote(it: LoopIteration): Promise<Awaited<ReturnType<Step>>> {
    const { name, rollout, registry } = this.d;
    const champion = await registry.store.getVersion(name, { alias: 'champion' });
    if (champion?.version !== it.version) {
      const why = `loop iteration ${it.id}: ${it.detail.shadow && typeof it.detail.shadow === 'object' ? 'shadow evidence and gates passed' : 'gates passed'}`;
      const r = await rollout.promote(name, { who: this.d.who, why });
      if (!r.promoted) return this.stop(it, `the gate at promotion failed: ${r.gate.summary}`);
      await this.d.checkpoint?.('promoted', it);
    } else {
      // promoted before a crash: only the rollout may still be on
      const status = await rollout.status(name);
      if (status.mode !== 'off') await rollout.set(name, { mode: 'off', who: this.d.who, why: `loop iteration ${it.id}: v${it.version} promoted` });
    }
    const reason = `v${it.version} promoted to champion${it.baseline !== null ? ` (was v${it.baseline})` : ''}`;
    const saved = await this.d.store.save({ ...it, state: 'done', outcome: 'promoted', reason });
    return { it: saved, outcome: 'promoted', detail: reason };
  }
}
