import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, type Config } from '../../src/app/config.js';
import { openRegistry } from '../../src/app/container/index.js';
import { loadExamples } from '../../src/app/services/dataset.js';
import { registerBundle, setAlias } from '../../src/app/services/registry.js';
import type { LabelledText } from '../../src/core/types.js';
import { ROOT, SAMPLE_TEST, SAMPLE_TRAIN, tempDir } from './sample.js';
import { trainBundle } from './trained.js';

/**
 * A small world for the loop: the sample data split into a seed set (20 per intent, trained and
 * registered as `tickets` v1, the champion) and the rest as traffic; SQLite registry, review
 * queue, prediction log (texts stored) and tracking in a temporary directory; the config as a
 * YAML file a child process can load too.
 */
export interface LoopWorld {
  readonly dir: string;
  readonly configFile: string;
  readonly config: Config;
  readonly traffic: readonly LabelledText[];
}

export async function loopWorld(o: { loop?: Record<string, unknown>; llm?: Record<string, unknown> } = {}): Promise<LoopWorld> {
  const dir = tempDir('intentops-loop-');
  const all = (await loadExamples(SAMPLE_TRAIN)).examples;
  const seen = new Map<string, number>();
  const seed: LabelledText[] = [];
  const traffic: LabelledText[] = [];
  for (const e of all) {
    const n = seen.get(e.label) ?? 0;
    seen.set(e.label, n + 1);
    (n < 20 ? seed : traffic).push({ text: e.text, label: e.label });
  }
  const seedFile = join(dir, 'seed.jsonl');
  writeFileSync(seedFile, seed.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const db = (n: string) => `sqlite:${join(dir, n)}`;
  const file = {
    embedder: 'hashed',
    cacheDir: '',
    registry: { uri: db('registry.db'), artifacts: `file:${join(dir, 'artifacts')}`, pollMs: 100 },
    review: { uri: db('review.db') },
    events: { uri: db('events.db'), storeTexts: true, flushMs: 20 },
    tracking: { uri: db('tracking.db') },
    cache: { uri: 'none' },
    logging: { level: 'silent' },
    monitor: { enabled: false },
    loop: { name: 'tickets', data: seedFile, test: SAMPLE_TEST, gates: join(ROOT, 'test/fixtures/gates/lenient.yaml'), workDir: join(dir, 'loop'), minNewLabels: 20, shadow: { minMessages: 40, minAgreement: 0.5 }, ...o.loop },
    ...(o.llm ? { llm: o.llm } : {}),
  };
  const configFile = join(dir, 'intentops.yaml');
  writeFileSync(configFile, stringify(file));
  const config = loadConfig({ file: configFile, env: {} });
  const reg = await openRegistry(config);
  try {
    const v1 = join(dir, 'seed-model');
    // the same seed set every time: trained once per run (test/helpers/trained.ts)
    await trainBundle({ data: seedFile, out: v1, embedder: 'hashed', seed: 7, name: 'tickets' });
    await registerBundle(reg, v1, 'tickets', { who: 'test' });
    await setAlias(reg, 'tickets', 'champion', 1, { who: 'test', why: 'seed model' });
  } finally {
    await reg.store.close();
  }
  return { dir, configFile, config, traffic };
}
