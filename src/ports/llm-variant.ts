import type { LlmOutcome } from '../core/eval/llm-metrics.js';
import type { Llm, LlmRequest } from './llm.js';

/*
 * The LLM variant format (one versioned file: provider, model, parameters, price, prompt template)
 * as the app sees it. The parser and validator live in src/adapters/llm/variant.ts; the
 * composition root loads files and builds a chat client per variant.
 */

/** A prompt template: the system and user turns with {{intents}}, {{examples}}, {{message}}. */
export interface PromptTemplate {
  readonly file: string;
  /** The file name without extension (e.g. `classify-v1`), or `NAME@HASH` for a variant's template. */
  readonly version: string;
  readonly system: string;
  readonly user: string;
}

export const VARIANT_PROVIDERS = ['openai', 'azure', 'openai-compatible'] as const;

/** A variant's settings, validated (defaults applied). */
export interface VariantSettings {
  readonly name?: string;
  readonly description?: string;
  readonly provider: (typeof VARIANT_PROVIDERS)[number];
  readonly model?: string;
  readonly endpoint?: string;
  readonly deployment?: string;
  readonly apiVersion?: string;
  readonly baseUrl?: string;
  readonly apiKeyEnv?: string;
  readonly temperature: number;
  readonly maxTokens: number;
  readonly responseFormat: 'json_schema' | 'json_object' | 'none';
  readonly price: { readonly inputPer1M: number; readonly outputPer1M: number };
  readonly maxExamples?: number;
  readonly maxMessageChars?: number;
}

export interface LlmVariant {
  /** Report name: `name`, else the file name without extension. */
  readonly name: string;
  /** The variant file as given. */
  readonly file: string;
  /** 12 hex digits of the content hash: the variant's version. */
  readonly hash: string;
  readonly settings: VariantSettings;
  readonly template: PromptTemplate;
}

/** The model name shown for a variant: the model, else the Azure deployment. */
export function modelOfVariant(v: Pick<LlmVariant, 'settings'>): string {
  return v.settings.model ?? v.settings.deployment ?? 'unknown';
}

/** A chat client for one variant, as `llm eval` uses it: the request body it would send (the cache key) and the call. */
export interface LlmVariantClient extends Llm {
  requestJson(req: LlmRequest): string;
}

/** An outcome kept in the eval response cache (failed calls are not kept). */
export type CachedOutcome = Exclude<LlmOutcome, { kind: 'failed' }> & { readonly model?: string };

/** The response cache of `llm eval`: a rerun does not pay twice. Bounded; keyed by what is sent. */
export interface LlmResponseCache {
  get(key: string): CachedOutcome | undefined;
  set(key: string, variantHash: string, outcome: CachedOutcome): void;
  readonly size: number;
  close(): Promise<void>;
}
