#!/usr/bin/env node
// The installed entry point: runs the bundled CLI, dist/cli.mjs (built by `npm run build`, which
// `npm install` runs via `prepare`; scripts/bundle-cli.mjs says what is in it).
await import('../dist/cli.mjs');
