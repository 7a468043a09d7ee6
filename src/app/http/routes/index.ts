export { classifyRoutes } from './classify.js';
export { docsRoutes } from './docs.js';
export { modelRoutes } from './model.js';
export { opsRoutes } from './ops.js';
export { reviewRoutes } from './review.js';
