import { readBundle } from '../adapters/bundle/index.js';
import type { EmbedderOptions } from '../adapters/embedders/index.js';
import type { Config } from './config.js';
import { IntentModel, type Classifier } from './services/model.js';
import { Cascade } from './services/cascade.js';
import type { LoadOptions } from './services/dataset.js';

/**
 * The composition root: the only place that turns configuration into adapters. CLI commands
 * and (later) the HTTP server ask it for what they need and call services with the result.
 */
export function embedderOptions(c: Config): EmbedderOptions {
  return {
    onnx: { ...(c.onnx.modelDir ? { modelDir: c.onnx.modelDir } : {}), threads: c.onnx.threads },
    openai: c.openai.azureEndpoint
      ? { azure: true, endpoint: c.openai.azureEndpoint, deployment: c.openai.azureDeployment, apiVersion: c.openai.azureApiVersion, apiKey: c.openai.apiKey }
      : { baseUrl: c.openai.baseUrl, model: c.openai.model, apiKey: c.openai.apiKey },
  };
}

export function loadOptions(c: Config): LoadOptions {
  return {
    textCol: c.data.textCol,
    labelCol: c.data.labelCol,
    delimiter: c.data.delimiter,
    maxTextLength: c.data.maxTextLength,
    minExamplesPerLabel: c.data.minExamplesPerLabel,
    strict: c.data.strict,
  };
}

export async function openModel(dir: string, c: Config): Promise<IntentModel> {
  return IntentModel.fromBundle(readBundle(dir), embedderOptions(c));
}

/** One bundle, or `a,b,…`: a cascade from the cheapest to the costliest model. */
export async function openClassifier(spec: string, c: Config): Promise<Classifier> {
  const dirs = spec.split(',').map((d) => d.trim()).filter(Boolean);
  const models = await Promise.all(dirs.map((d) => openModel(d, c)));
  return models.length === 1 ? models[0] : new Cascade(models);
}
