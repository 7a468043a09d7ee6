/**
 * The retrain request the service tests share: the sample data, gated on its test file with the
 * lenient gates, trained with `hashed` (seed 3) and registered in `registryStore` as `tickets`,
 * its artifacts under `work`. Spread it and add the label sources a test is about.
 */
import { join } from 'node:path';
import { openArtifactStore } from '../../src/adapters/artifacts/index.js';
import { modelBundles, readBundle } from '../../src/adapters/bundle/index.js';
import { modelFromBundle, trainingKit } from '../../src/app/container/index.js';
import { loadExamples } from '../../src/app/services/dataset.js';
import { loadGatesFile } from '../../src/app/services/gate.js';
import type { RetrainRequest } from '../../src/app/services/retrain.js';
import type { RegistryStore } from '../../src/ports/registry-store.js';
import type { TrackingStore } from '../../src/ports/tracking-store.js';
import { ROOT, SAMPLE_TEST, SAMPLE_TRAIN } from './sample.js';

export async function sampleRetrain(work: string, out: string, tracking: TrackingStore, registryStore: RegistryStore): Promise<Omit<RetrainRequest, 'review' | 'feedback'>> {
  return {
    data: SAMPLE_TRAIN,
    test: (await loadExamples(SAMPLE_TEST, { keepDuplicates: true })).examples,
    gates: loadGatesFile(join(ROOT, 'test/fixtures/gates/lenient.yaml')),
    name: 'tickets',
    out,
    train: { embedder: 'hashed', seed: 3 },
    kit: trainingKit,
    tracking,
    registry: { store: registryStore, artifacts: openArtifactStore(`file:${join(work, 'artifacts')}`), bundles: modelBundles },
    open: (dir) => modelFromBundle(readBundle(dir), {}),
    who: 'test',
  };
}
