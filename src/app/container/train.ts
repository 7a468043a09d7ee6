import { modelBundles } from '../../adapters/bundle/index.js';
import { stateOf } from '../../adapters/embedders/combined.js';
import { createEmbedder, fitEmbedder } from '../../adapters/embedders/index.js';
import { foldThreads } from '../../adapters/fold-threads.js';
import { getVectorIndexFactory } from '../../adapters/vector-index/index.js';
import { train, type TrainingKit, type TrainRequest, type TrainResult } from '../services/train.js';

/* Part of the composition root (src/app/container/index.ts): what training builds with. */

/** The adapters training uses: embedders by name, vector indexes by kind, fold threads, bundle directories. */
export const trainingKit: TrainingKit = Object.freeze({
  createEmbedder,
  fitEmbedder,
  embedderState: stateOf,
  vectorIndex: getVectorIndexFactory,
  foldThreads,
  bundles: modelBundles,
});

/**
 * Trains a model and writes its bundle (services/train.ts `train` with the training kit).
 *
 * @example
 *   const r = await trainModel({ data: 'data/sample/tickets.csv', out: 'models/sample', embedder: 'hashed' });
 */
export function trainModel(req: TrainRequest): Promise<TrainResult> {
  return train(req, trainingKit);
}
