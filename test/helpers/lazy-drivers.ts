/**
 * Test helper run as a child process: opens the review store, cache and rate limiter at the
 * URIs in argv[2..4], closes them, and prints which drivers Node loaded, as JSON.
 */
import { createRequire } from 'node:module';
import { openCache } from '../../src/adapters/cache/index.js';
import { openRateLimiter } from '../../src/adapters/rate-limit/index.js';
import { openReviewStore } from '../../src/adapters/review-store/index.js';

const [review, cache, limiter] = process.argv.slice(2);
await (await openReviewStore(review, { tablePrefix: 'lazy_probe_' })).close();
await (await openCache(cache)).close();
await (await openRateLimiter(limiter, { ratePerSecond: 1, burst: 1 })).close();
const loaded = Object.keys(createRequire(import.meta.url).cache);
const has = (pkg: string) => loaded.some((p) => p.includes(`/node_modules/${pkg}/`));
process.stdout.write(JSON.stringify({ pg: has('pg'), ioredis: has('ioredis'), 'better-sqlite3': has('better-sqlite3') }));
