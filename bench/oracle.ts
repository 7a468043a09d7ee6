/**
 * Projects the whole hybrid system with an LLM of known accuracy and price: the trained bundle
 * answers what it accepts, every other message goes through the real chat-completions adapter
 * to the fake LLM in oracle mode (true label with probability `accuracy`, a plausible wrong one
 * otherwise; usage reported), over real HTTP on loopback. For each threshold setting: end-to-end
 * accuracy, LLM share and cost per 1,000 messages. Prints one JSON line.
 */
import { join } from 'node:path';
import { loadConfig } from '../src/app/config.js';
import { openModel } from '../src/app/container/index.js';
import { createLlm } from '../src/adapters/llm/index.js';
import { startFakeLlm } from '../src/app/dev/fake-llm-server.js';
import { loadExamples } from '../src/app/services/dataset.js';

const [dir, dataDir, accuracyArg] = process.argv.slice(2);
const accuracy = Number(accuracyArg ?? 0.9);
const model = await openModel(dir, loadConfig({ env: {} }));
const test = (await loadExamples(join(dataDir, 'test.jsonl'), { keepDuplicates: true })).examples;
// one pass: the predictions, and the neighbours an LLM prompt would carry
const preds = await model.classify(test.map((e) => e.text), { neighbours: 5 });
const sorted = preds.map((p) => p.confidence).sort((a, b) => b - a);
const own = model.manifest.routing.policy.minConfidence;
// thresholds: the bundle's own, and those giving 95 … 70 % coverage
const settings = [{ name: "bundle's thresholds", threshold: own }, ...[0.95, 0.9, 0.85, 0.8, 0.7].map((c) => ({ name: `${Math.round(c * 100)} % coverage`, threshold: sorted[Math.ceil(c * sorted.length) - 1] }))];
const maxT = Math.max(...settings.map((s) => s.threshold));

const fake = await startFakeLlm({ oracle: { labels: new Map(test.map((e) => [e.text, e.label])), accuracy, seed: 7 } });
const llm = await createLlm('openai-chat', { baseUrl: fake.baseUrl, model: 'gpt-4o-mini', maxConcurrent: 8, maxQueue: 10_000 });
const answers = new Map<number, { intent: string | null; cost: number; tokens: number }>();
const todo = preds.map((p, i) => i).filter((i) => preds[i].confidence < maxT || preds[i].route !== 'accepted');
await Promise.all(
  todo.map(async (i) => {
    try {
      const a = await llm.classify({ text: test[i].text, intents: model.labels.map((name) => ({ name })), examples: preds[i].neighbours.map((n) => ({ text: n.text, intent: n.intent })) });
      answers.set(i, { intent: a.intent, cost: a.usage.costUsd, tokens: a.usage.promptTokens + a.usage.completionTokens });
    } catch {
      answers.set(i, { intent: null, cost: 0, tokens: 0 });
    }
  }),
);
await fake.close();
const out = settings.map((s) => {
  let correct = 0;
  let llmCalls = 0;
  let cost = 0;
  let review = 0;
  preds.forEach((p, i) => {
    const accept = p.confidence >= s.threshold && (s.threshold !== own || p.route === 'accepted');
    if (accept) {
      if (p.intent === test[i].label) correct++;
      return;
    }
    llmCalls++;
    const a = answers.get(i)!;
    cost += a.cost;
    if (a.intent === null) review++;
    else if (a.intent === test[i].label) correct++;
  });
  const n = preds.length;
  return { setting: s.name, threshold: s.threshold, llmShare: llmCalls / n, endToEndAccuracy: correct / n, toReview: review / n, costPer1000Usd: (cost / n) * 1000 };
});
console.log(JSON.stringify({ llmAccuracy: accuracy, llmModel: 'gpt-4o-mini', settings: out }));
