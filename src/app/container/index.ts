/**
 * The composition root: the only code under src/app that imports src/adapters (README.md here).
 * It turns configuration into built objects, one opener per stack; CLI commands and the HTTP
 * server ask it for what they need and call use cases (src/app/services) with the result.
 *
 *   models.ts      bundles, cascades, registry references, tracking and registry stores
 *   operations.ts  prediction log, feedback, drift monitors, LLM budget (the operations stack)
 *   rollout.ts     a registry champion under a rollout; rollout control; the promotion gate
 *   events.ts      prediction log, feedback and broker for the CLI commands outside serving
 *   gate.ts        the gate use case over bundles named by path
 *   classify-stack.ts  the classify stack `serve`, `worker` and `classify-file --pipeline` share:
 *                  model(s), LLM fallback, cache, review queue, operations, precision audit
 *   train.ts       the training kit (embedders, vector indexes, fold threads, bundle writer) and trainModel
 *   llm.ts         the served LLM fallback: the registry's champion variant (else the configured
 *                  prompt file), its challenger in shadow mode, the LLM variant registry
 *   serving.ts     the serving stack: the classify stack + rate limiter, checks, rollout, HTTP app
 */
export { embedderOptions, isRegistryRef, loadOptions, trainSettings, modelFromBundle, openClassifier, openGateModel, openModel, openRegistry, openReviewStoreFor, openServedModel, openServingModel, openTracking, resolveModelRef, watchAlias } from './models.js';
export { championOf, openRolloutControl, rolloutGate } from './rollout.js';
export { runGate, versionGate, type GateRequest } from './gate.js';
export { trainingKit, trainModel } from './train.js';
export { openClassifyStack, type ClassifyStack, type ClassifyStackOptions } from './classify-stack.js';
export { openBrokerFor, openEvents, openOutcomes, openPredictionLog, type OpenEvents } from './events.js';
export { llmOptions, loadVariant, openClusterNamer, openDiscoveryNamer, openLlmRegistry, openLlmResponseCache, openServedLlm, SHADOW_ALIAS, variantClient, type ServedLlm, type ServedLlmStatus } from './llm.js';
export { openReviews, openServing, type Serving, type ServingOptions } from './serving.js';
export { openLoop, openLoopStatus, type OpenLoopOptions } from './loop.js';
