#!/usr/bin/env node
// The installed entry point: runs the compiled CLI (built by `npm run build`, which `npm install` runs via `prepare`).
process.env.INTENTOPS_CLI_MAIN = '1';
await import('../dist/app/cli/main.js');
