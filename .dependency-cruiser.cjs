/**
 * The import rules of src/ (README.md, Architecture; each top folder's README.md says the same).
 * `npm run lint:deps` checks them; .ci/run calls it right after the typecheck, and
 * test/architecture/dependencies.test.ts proves that each rule fails on a violation.
 *
 *   core      pure: imports only core (no Node built-ins, no packages; exceptions named below)
 *   ports     interfaces: imports only core and ports
 *   lib       Node helpers (durable writes, record readers): imports only core and lib
 *   adapters  implement ports: never import app
 *   app       use cases, CLI, HTTP: only app/container (the composition root) and app/dev
 *             (development tools) import adapters; use cases (app/services) never import the
 *             container, the CLI or the HTTP app; the classify pipeline (app/classify)
 *             depends on core and ports only
 *
 * and no import cycles anywhere. Type-only imports count: a cycle or a layering break through
 * types is one for a reader too. Tests (*.test.ts) are not cruised: a test may build a real
 * adapter to test a service with it.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles: every module can be read after the modules it imports.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'src/core is the pure domain: it imports only src/core (no I/O, no clock, no randomness).',
      from: { path: '^src/core/' },
      to: {
        pathNot: [
          '^src/core/',
          // Exceptions, each pure (deterministic, no I/O): node:crypto for createHash only (dataset
          // fingerprints, sticky rollout assignment); zod and yaml to parse and validate a gates
          // file's text (core/gates).
          '^crypto$',
          '(^|/)node_modules/(zod|yaml)/',
        ],
      },
    },
    {
      name: 'ports-only-core',
      severity: 'error',
      comment: 'src/ports declares interfaces in terms of the domain: it imports only src/core and src/ports.',
      from: { path: '^src/ports/' },
      to: { pathNot: '^src/(core|ports)/' },
    },
    {
      name: 'lib-is-leaf',
      severity: 'error',
      comment: 'src/lib holds Node helpers with no knowledge of ports, adapters or the app (durable file writes, record readers): it imports only src/core and src/lib.',
      from: { path: '^src/lib/' },
      to: { path: '^src/(ports|adapters|app)/' },
    },
    {
      name: 'adapters-not-app',
      severity: 'error',
      comment: 'src/adapters implements ports for the app; it never imports the app.',
      from: { path: '^src/adapters/' },
      to: { path: '^src/app/' },
    },
    {
      name: 'adapters-only-in-container',
      severity: 'error',
      comment: 'Under src/app only the composition root (src/app/container/) and the development tools (src/app/dev/) import src/adapters: the rest is given built objects.',
      from: {
        path: '^src/app/',
        pathNot: [
          '^src/app/(container|dev)/',
        ],
      },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'classify-pipeline-is-inner',
      severity: 'error',
      comment: 'The classify pipeline (src/app/classify: IntentModel, Cascade, ClassifyService) depends on core and ports only: it is given its embedder, index, LLM, cache and review store. Exception: telemetry/trace.ts, the request path tracing switch (only @opentelemetry/api).',
      from: { path: '^src/app/classify/' },
      to: { path: '^src/(app|adapters|lib)/', pathNot: ['^src/app/classify/', '^src/app/telemetry/trace\\.ts$'] },
    },
    {
      name: 'use-cases-not-entry-points',
      severity: 'error',
      comment: 'Use cases (src/app/services) are called by the CLI, the HTTP app and the container, never the other way round: a use case that opens its own adapters through the container is how the 18-file cycle of issue #14 began.',
      from: { path: '^src/app/services/' },
      to: {
        path: '^src/app/(container|cli|http)/',
        // Exception: the worker validates broker messages with the request schema of POST
        // /v1/classify (one wire format for both). Moving http/schemas.ts out of http/ waits for
        // the HTTP hot-path work on another branch (issue #14 note).
        pathNot: '^src/app/http/schemas\\.ts$',
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    // type-only imports are dependencies too (see above)
    tsPreCompilationDeps: true,
    // TypeScript 7 has no JavaScript API for dependency-cruiser to parse with: swc parses instead
    parser: 'swc',
    reporterOptions: { text: { highlightFocused: true } },
  },
};
