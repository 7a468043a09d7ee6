export { aggregateWorkerMetrics, joinClusterMetrics } from './cluster.js';
export { createLogger, type Logger, type LoggerOptions } from './logger.js';
export { ServiceMetrics } from './metrics.js';
