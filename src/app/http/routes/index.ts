export { classifyRoutes } from './classify.js';
export { docsRoutes } from './docs.js';
export { feedbackRoutes } from './feedback.js';
export { modelRoutes } from './model.js';
export { monitorRoutes } from './monitor.js';
export { opsRoutes } from './ops.js';
export { reviewRoutes } from './review.js';
export { clientSubject, rolloutRoutes } from './rollout.js';
