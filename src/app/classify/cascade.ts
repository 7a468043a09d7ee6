import type { Classifier, ClassifyOptions, IntentModel, ModelInfo, Prediction } from './model.js';
import type { Progress } from '../../ports/embedder.js';

export type TieredPrediction = Prediction & { readonly tier: number; readonly model: string };

/**
 * Cost tiers: the cheapest model answers what it is sure of; each later (costlier) model sees
 * only the messages every earlier tier left unsure; what the last tier leaves unsure goes to
 * the LLM or review with that tier's best guess. Every tier routes with its own thresholds.
 */
export class Cascade implements Classifier {
  constructor(readonly tiers: readonly IntentModel[]) {
    if (tiers.length === 0) throw new Error('a cascade needs at least one model');
  }

  get labels(): readonly string[] {
    return this.tiers[this.tiers.length - 1].labels;
  }

  describe(): ModelInfo {
    const infos = this.tiers.map((t) => t.describe());
    const last = infos[infos.length - 1];
    return { ...last, name: infos.map((i) => i.name).join(' → '), embedder: infos.map((i) => i.embedder).join(' → ') };
  }

  async classify(texts: readonly string[], opts: ClassifyOptions = {}, onProgress?: Progress): Promise<TieredPrediction[]> {
    const out: TieredPrediction[] = new Array(texts.length);
    let pending = texts.map((_, i) => i);
    for (let t = 0; t < this.tiers.length && pending.length; t++) {
      const last = t === this.tiers.length - 1;
      const model = this.tiers[t];
      // earlier tiers never call the LLM: a later tier gets the chance first
      const preds = await model.classify(pending.map((i) => texts[i]), last ? opts : { ...opts, llmAvailable: false });
      const next: number[] = [];
      preds.forEach((p, j) => {
        const i = pending[j];
        if (p.route === 'accepted' || last) out[i] = { ...p, tier: t, model: model.manifest.name };
        else next.push(i);
      });
      pending = next;
      onProgress?.(texts.length - pending.length, texts.length);
    }
    return out;
  }
}
