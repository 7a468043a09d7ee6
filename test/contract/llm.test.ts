import { createLlm, openaiClusterNamer, ProviderBackoff } from '../../src/adapters/llm/index.js';
import { startFakeLlm } from '../../src/app/dev/fake-llm-server.js';
import { runLlmContract } from './llm.contract.js';

// Every LLM backend of src/adapters/llm (one today: openai-chat), in each wire form it speaks.
const SHORT = { maxRetries: 1, retryBaseMs: 1, retryMaxMs: 5, timeoutMs: 3_000, deadlineMs: 5_000 };
const noWait = { sleep: async () => undefined };

runLlmContract('openai-chat (OpenAI and compatible servers)', {
  server: () => startFakeLlm(),
  open: (fake) => createLlm('openai-chat', { baseUrl: fake.baseUrl, model: 'gpt-4o-mini', ...SHORT }, noWait),
  namer: (fake) => openaiClusterNamer.create({ baseUrl: fake.baseUrl, model: 'gpt-4o-mini', ...SHORT }, {}, { ...noWait, backoff: new ProviderBackoff() }),
});

runLlmContract('openai-chat (Azure OpenAI deployment)', {
  server: () => startFakeLlm({ apiKey: 'az-key' }),
  open: (fake) => createLlm('openai-chat', { apiKey: 'az-key', azure: { endpoint: fake.url, deployment: 'mini-prod', apiVersion: '2024-10-21' }, ...SHORT }, noWait),
  namer: (fake) => openaiClusterNamer.create({ apiKey: 'az-key', azure: { endpoint: fake.url, deployment: 'mini-prod', apiVersion: '2024-10-21' }, ...SHORT }, {}, { ...noWait, backoff: new ProviderBackoff() }),
});

runLlmContract('openai-chat (JSON schema response format)', {
  server: () => startFakeLlm(),
  open: (fake) => createLlm('openai-chat', { baseUrl: fake.baseUrl, model: 'gpt-4o-mini', responseFormat: 'json_schema', ...SHORT }, noWait),
  namer: (fake) => openaiClusterNamer.create({ baseUrl: fake.baseUrl, model: 'gpt-4o-mini', responseFormat: 'json_object', ...SHORT }, {}, { ...noWait, backoff: new ProviderBackoff() }),
});
