/**
 * Prints the OpenAPI document the server serves at /openapi.json, built by the same code with the
 * default configuration and API keys on (the production contract), so tools can use it without a
 * running server:
 *
 *   npm run openapi -- --out openapi.json       # then e.g. redocly lint, or a client generator
 *
 * `npm run lint:openapi` lints it with redocly's recommended rules; `npm run generate:api-client`
 * regenerates the typed client's types in test/e2e/api/ from it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../src/app/config.js';
import { buildOpenApi } from '../src/app/http/openapi.js';
import { requestSchemas } from '../src/app/http/schemas.js';

const args = process.argv.slice(2);
const at = args.indexOf('--out');
if (args.some((a, i) => a !== '--out' && i !== at + 1) || (at >= 0 && !args[at + 1])) {
  console.error(`usage: tsx scripts/openapi.ts [--out FILE]  (got: ${args.join(' ')})`);
  process.exit(2);
}
const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const c = loadConfig({ env: {}, flags: {} });
const text = JSON.stringify(buildOpenApi(requestSchemas(c.server), { version, authEnabled: true }), null, 2) + '\n';
if (at >= 0) writeFileSync(args[at + 1], text);
else process.stdout.write(text);
