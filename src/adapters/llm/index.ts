import { IntentOpsError } from '../../core/errors.js';
import type { Llm } from '../../ports/llm.js';
import { openaiChatLlm, OpenAiChatLlm, type LlmDeps } from './openai-chat.js';
import { parseOptions } from './options.js';
import type { PromptTemplate } from './prompt.js';

/** LLM backends by name: the valid values of the `llm.provider` setting. */
export const llms = Object.freeze({
  'openai-chat': openaiChatLlm,
} satisfies Record<string, { description: string; create(options: Record<string, unknown>, deps?: LlmDeps): Promise<Llm> }>);

export type LlmName = keyof typeof llms;

/**
 * A ready LLM fallback: options validated and the prompt template loaded.
 *
 * @example
 *   const llm = await createLlm('openai-chat', { model: 'gpt-4o-mini', apiKey: key });
 */
export async function createLlm(name: string, options: Record<string, unknown> = {}, deps: LlmDeps = {}): Promise<Llm> {
  if (!Object.hasOwn(llms, name)) {
    const valid = Object.keys(llms).join(', ');
    throw new IntentOpsError('invalid_config', `unknown LLM ${JSON.stringify(name)}; valid: ${valid}`, { where: 'llm', hint: `choose one of: ${valid}` });
  }
  return llms[name as LlmName].create(options, deps);
}

/** A chat client with an already-parsed template (a registered variant's) instead of a prompt file; options validated. */
export function createTemplatedLlm(options: Record<string, unknown>, template: PromptTemplate, deps: LlmDeps = {}): OpenAiChatLlm {
  return new OpenAiChatLlm(parseOptions(options), template, deps);
}

export { openaiChatLlm, OpenAiChatLlm, type LlmDeps, type LlmStats } from './openai-chat.js';
export { openaiClusterNamer, OpenAiClusterNamer, type NamingOptions } from './cluster-namer.js';
export { NAMING_PROMPT_VERSION, parseNamingAnswer, readNamingPrompt, renderNamingPrompt } from './naming-prompt.js';
export { LlmAnswerError, parseAnswer, type ResponseFormat } from './parse.js';
export { DELIMITERS, defaultPromptFile, loadPromptTemplate, readRenderedPrompt, renderPrompt, type PromptContent, type PromptTemplate } from './prompt.js';
export { DEFAULT_PRICES, costUsd, priceOf, type Price, type PriceTable } from './pricing.js';
export type { OpenAiChatOptions, OpenAiChatOptionsInput } from './options.js';
export { ProviderBackoff, sharedProviderBackoff } from './provider-backoff.js';
