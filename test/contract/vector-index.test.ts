import { exactIndex, hnswIndex } from '../../src/adapters/vector-index/index.js';
import { runVectorIndexContract } from './vector-index.contract.js';

runVectorIndexContract('exact', exactIndex, { recallAt10Min: 1 });
// HNSW is approximate by design; 0.95 is the floor we promise at the default M/ef settings.
runVectorIndexContract('hnsw', hnswIndex, { recallAt10Min: 0.95 });
