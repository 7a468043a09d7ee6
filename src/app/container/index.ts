/**
 * The composition root: the only code under src/app that imports src/adapters (README.md here).
 * It turns configuration into built objects, one opener per stack; CLI commands and the HTTP
 * server ask it for what they need and call use cases (src/app/services) with the result.
 *
 *   models.ts      bundles, cascades, registry references, tracking and registry stores
 *   operations.ts  prediction log, feedback, drift monitors, LLM budget (the operations stack)
 *   rollout.ts     a registry champion under a rollout; rollout control; the promotion gate
 *   gate.ts        the gate use case over bundles named by path
 *   serving.ts     the serving stack: classify stack + operations + the HTTP app
 */
export { embedderOptions, isRegistryRef, loadOptions, openClassifier, openModel, openRegistry, openReviewStoreFor, openServedModel, openServingModel, openTracking, resolveModelRef, watchAlias, whoAmI } from './models.js';
export { championOf, openRolloutControl, rolloutGate } from './rollout.js';
export { runGate, type GateRequest } from './gate.js';
export { openReviews, openServing, type Serving, type ServingOptions } from './serving.js';
