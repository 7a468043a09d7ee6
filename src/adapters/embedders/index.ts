import { IntentOpsError } from '../../core/errors.js';
import type { Embedder, EmbedderFactory, EmbedderOptions, EmbedderState, FittableEmbedder } from '../../ports/embedder.js';
import { CombinedEmbedder, splitState } from './combined.js';
import { hashedEmbedder } from './hashed.js';
import { DiskCachedEmbedder } from './disk-cache.js';
import { onnxEmbedder } from './onnx.js';
import { openaiEmbedder } from './openai.js';

/** Embedder backends by name: the valid values of `--embedder` (and `a+b` to combine two). */
export const embedders = Object.freeze({
  hashed: hashedEmbedder,
  onnx: onnxEmbedder,
  openai: openaiEmbedder,
} satisfies Record<string, EmbedderFactory>);

export type EmbedderName = keyof typeof embedders;

export function getEmbedderFactory(name: string): EmbedderFactory {
  if (!Object.hasOwn(embedders, name)) {
    const valid = Object.keys(embedders).join(', ');
    throw new IntentOpsError('invalid_config', `unknown embedder ${JSON.stringify(name)}; valid: ${valid} (or two joined with +, e.g. hashed+onnx)`, {
      where: 'embedder',
      hint: `choose one of: ${valid}`,
    });
  }
  return embedders[name as EmbedderName];
}

export type { EmbedderOptions };

/** Embedders worth a disk cache of their vectors (slow or paid); `hashed` is faster than a lookup. */
const CACHEABLE = new Set(['onnx', 'openai']);

/**
 * A new (unfitted) embedder for `spec`: a name or `a+b`. With `cacheDir`, slow embedders keep
 * their vectors on disk by text hash (training and evaluation reuse them).
 */
export async function createEmbedder(spec: string, options: EmbedderOptions = {}, cacheDir?: string): Promise<Embedder> {
  const parts = spec.split('+');
  if (parts.length > 2) throw new IntentOpsError('invalid_config', `embedder ${spec}: at most two embedders can be combined`, { where: 'embedder' });
  const made = await Promise.all(
    parts.map(async (p) => {
      const e = await getEmbedderFactory(p).create(options[p] ?? {});
      return cacheDir && CACHEABLE.has(p) ? new DiskCachedEmbedder(e, cacheDir) : e;
    }),
  );
  return made.length === 2 ? new CombinedEmbedder(made[0], made[1]) : made[0];
}

/**
 * Rebuilds the embedder saved in a bundle; `options` (e.g. a new modelDir) override saved config.
 * With `cacheDir`, slow parts keep their vectors on disk as createEmbedder's do (same files: a
 * restored encoder has the state it was trained with), so evaluating several bundles of one
 * encoder on one test set embeds it once.
 */
export async function restoreEmbedder(state: EmbedderState, options: EmbedderOptions = {}, cacheDir?: string): Promise<Embedder> {
  if (state.name.includes('+')) {
    const [a, b] = splitState(state);
    const w = state.config.weights as [number, number] | undefined;
    return new CombinedEmbedder(await restoreEmbedder(a, options, cacheDir), await restoreEmbedder(b, options, cacheDir), w);
  }
  const e = await getEmbedderFactory(state.name).restore(state, options[state.name]);
  return cacheDir && CACHEABLE.has(state.name) ? new DiskCachedEmbedder(e, cacheDir) : e;
}

/** Fits every fittable part (e.g. the hashed embedder's IDF) on the training texts. */
export async function fitEmbedder(e: Embedder, texts: readonly string[]): Promise<void> {
  if (e instanceof CombinedEmbedder) {
    await fitEmbedder(e.first, texts);
    await fitEmbedder(e.second, texts);
    return;
  }
  const f = e as Partial<FittableEmbedder>;
  if (typeof f.fit === 'function') await f.fit.call(e, texts);
}

export { hashedEmbedder, onnxEmbedder, openaiEmbedder, CombinedEmbedder };
