export { dot, norm, l2normalize, cosine, dotRows } from './math.js';
export type { Vec } from './math.js';
export { topK } from './top-k.js';
export type { Scored } from './top-k.js';
