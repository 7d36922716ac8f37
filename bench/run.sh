#!/usr/bin/env bash
# The whole benchmark in one command: set up, build the package, generate the data sets, run every
# task in Node and in headless Chromium, write bench/results/results.{json,md}.
#
#   bench/run.sh [--quick] [--no-build] [other run.mjs options: --node-only, --browser-only, --tasks a,b, --impls text]
#
# --quick: the 1,000- and 10,000-record data sets only, 5 samples, short warm-up (a few minutes).
# --no-build: use the pkg/ that is there (skip scripts/setup.sh and scripts/build-pkg.sh).
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)

quick=0
build=1
pass=()
for a in "$@"; do
  case "$a" in
    --quick) quick=1; pass+=("$a") ;;
    --no-build) build=0 ;;
    *) pass+=("$a") ;;
  esac
done

start=$(date +%s)
if [ "$build" = 1 ]; then
  bash "$root/scripts/setup.sh" build
  bash "$root/scripts/build-pkg.sh"
fi
[ -f "$root/pkg/node.js" ] || { echo "bench: $root/pkg/node.js missing: build the package (scripts/build-pkg.sh)" >&2; exit 1; }
[ -f "$root/.tools/node_modules/playwright-core/index.mjs" ] || bash "$root/scripts/setup.sh" build
bash ./setup.sh

node gen-repo.mjs --records 1000 --curve k256 >/dev/null
node gen-repo.mjs --records 1000 --curve p256 >/dev/null
node gen-repo.mjs --records 10000 --curve k256 >/dev/null
node gen-plc.mjs   # the plc-verify task's logs (skipped when they exist)
[ "$quick" = 1 ] || node gen-repo.mjs --records 100000 --curve k256 >/dev/null
# The firehose task's stream: the reference implementation's, from the tests' fixtures.
cp "$root/tests/fixtures/generated/repo-1000-s1-k256.frames.bin" data/stream-1000-k256-s1.frames.bin
node -e 'const fs = require("fs"); const m = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  fs.writeFileSync("data/stream-1000-k256-s1.json", JSON.stringify({ ...m, car: "stream-1000-k256-s1.frames.bin" }));' \
  "$root/tests/fixtures/generated/repo-1000-s1-k256.frames.json"

status=0
node run.mjs ${pass[@]+"${pass[@]}"} || status=$?
echo "bench: done in $(( $(date +%s) - start )) s; results in bench/results/results.md"
exit "$status"
