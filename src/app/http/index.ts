export { createApp } from './app.js';
export { hashKey, type ApiKey } from './auth.js';
export type { HttpDeps, HttpSettings } from './deps.js';
export { HttpProblem, type FieldError } from './problem.js';
export { listen, type RunningServer } from './server.js';
