# syntax=docker/dockerfile:1
#
# IntentOps image. Three stages:
#   build    compiles the TypeScript and the native modules, then drops the dev dependencies
#   runtime  the app alone (no model): serves a registry alias, `models:/intents@champion`
#   bundled  (default) runtime + a trained model bundle baked in at /opt/intentops/model
#
#   node bin/intentops.js train --data data/sample/tickets.csv --out models/intents   # or your data
#   docker build -t intentops:dev .                                   # bakes models/intents
#   docker build --build-arg MODEL_DIR=models/other -t intentops:dev .
#   docker build --target runtime -t intentops:runtime .              # model from the registry
#   docker run --rm -p 8080:8080 intentops:dev
#
# See docs/deploy.md.

# the active Node.js LTS line (package.json "engines" lists every supported line; .ci/run tests each)
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 and hnswlib-node compile with node-gyp: a C++ toolchain and python3
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential python3 \
 && rm -rf /var/lib/apt/lists/*
# compile native modules here rather than fetch prebuilt binaries at build time
ENV npm_config_build_from_source=true
WORKDIR /src
# dependencies first: this layer is reused until package.json or the lockfile change
COPY package.json package-lock.json .npmrc ./
COPY deploy/docker/npm-ci.sh ./deploy/docker/npm-ci.sh
RUN sh deploy/docker/npm-ci.sh
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# bundles the compiled CLI into dist/cli.mjs, what bin/intentops.js runs
COPY scripts/bundle-cli.mjs ./scripts/bundle-cli.mjs
# the dashboard (Vite + Preact) builds into dist/web
COPY web ./web
RUN npm run build \
 && npm prune --omit=dev

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    INTENTOPS_HOST=0.0.0.0 \
    INTENTOPS_PORT=8080 \
    INTENTOPS_WORKERS=1
# the app is owned by root and read-only for the user that runs it
COPY --from=build /src/package.json /opt/intentops/package.json
COPY --from=build /src/node_modules /opt/intentops/node_modules
COPY --from=build /src/dist /opt/intentops/dist
COPY bin /opt/intentops/bin
COPY prompts /opt/intentops/prompts
# the working directory is the one writable place: the default SQLite stores and the local
# artifact store live here (production points them at PostgreSQL instead; see docs/deploy.md)
RUN mkdir -p /var/lib/intentops \
 && chown 1000:1000 /var/lib/intentops
WORKDIR /var/lib/intentops
# the base image's `node` user, by number so Kubernetes' runAsNonRoot can verify it
USER 1000:1000
EXPOSE 8080
# no curl in slim images: node itself asks /healthz (liveness; /readyz also checks the stores)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.INTENTOPS_PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# a 32 MB young-generation semi-space (V8's default is 16): requests waiting ~100 ms on the LLM
# fallback otherwise survive scavenges and lengthen them; `npm run bench:serve` runs it so
ENTRYPOINT ["node", "--max-semi-space-size=32", "/opt/intentops/bin/intentops.js"]
CMD ["serve", "--model", "models:/intents@champion"]

FROM runtime AS bundled
# a trained bundle directory in the build context (models/ is not in git: train or download it first)
ARG MODEL_DIR=models/intents
COPY ${MODEL_DIR} /opt/intentops/model
CMD ["serve", "--model", "/opt/intentops/model"]
