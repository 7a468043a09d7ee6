export { gatesSchema, type Gates, type GatesInput } from './schema.js';
export { parseGates } from './parse.js';
export { evaluateGates, type GateOutcome, type GateResult } from './evaluate.js';
export { evaluateLlmGates, hasLlmGates, type LlmGateFigures, type LlmGateOutcome } from './llm.js';
