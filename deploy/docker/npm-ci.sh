#!/bin/sh
# `npm ci` that runs install scripts only for the packages package.json "allowScripts" approves
# (better-sqlite3 and hnswlib-node compile with node-gyp; onnxruntime-node's postinstall is not
# approved: it would fetch CUDA files from the network, and the CPU binary is in its tarball).
# npm before 11.x ignores "allowScripts" and would run every package's scripts, so scripts are
# skipped for all and then rebuilt for the approved ones: the same result on every npm version.
# Used by the Dockerfile and the GitHub workflows.
# Extra arguments go to `npm ci`. The project's own `prepare` (the build) is not run here.
set -eu
npm ci --ignore-scripts "$@"
allowed=$(node -p "Object.entries(require('./package.json').allowScripts || {}).filter(([, ok]) => ok === true).map(([name]) => name).join(' ')")
if [ -n "$allowed" ]; then
  # shellcheck disable=SC2086 # one word per package name
  npm rebuild $allowed
fi
