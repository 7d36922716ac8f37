#!/usr/bin/env bash
# Runs every test of atproof: lints, native tests, the binding layer in Node and headless Chromium,
# the built package in Node (node:test), Deno, Bun, workerd and headless Chromium (plain import and a
# Vite bundle), and its TypeScript declarations.
# Installs whatever is missing first (scripts/setup.sh test). Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
mkdir -p target
log=target/test-output.log
exec > >(tee "$log") 2>&1
bash scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"

step() { printf '\n== %s (%ss)\n' "$1" "$((SECONDS - start))"; }
# Runs a wasm-bindgen-test command and fails if it ran no test (a browser run that is not told to
# use the browser silently runs 0 tests).
wasm_tests() {
  local log
  log=$(mktemp)
  "$@" 2>&1 | tee "$log"
  grep -Eq '^test result: ok\. [1-9][0-9]* passed' "$log" || { echo "no wasm test ran" >&2; exit 1; }
  rm -f "$log"
}
WASM_TESTS=(--test web --test web_sha --test crypto_wasm --test crypto_k256_libsecp)

step "clippy (native, all targets; wasm32 library with the bindings)"
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown --lib -- -D warnings

step "native tests"
cargo test --locked

step "binding layer in Node (wasm-bindgen-test)"
wasm_tests cargo test --locked --target wasm32-unknown-unknown "${WASM_TESTS[@]}"

step "binding layer in headless Chromium (wasm-bindgen-test)"
WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER="$(command -v chromedriver)" \
  wasm_tests cargo test --locked --target wasm32-unknown-unknown "${WASM_TESTS[@]}"

step "build the package"
bash scripts/build-pkg.sh
# tests/js: 'atproof' (file:../../pkg) and @atproto/crypto for the cross-implementation tests.
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)

step "package in Node (node:test)"
node --test tests/js/

step "package in Deno"
(cd tests/js && deno run --allow-read smoke.mjs)

step "package in Bun"
(cd tests/js && bun smoke.mjs)

step "package in workerd"
bash tests/js/workerd/run.sh

step "package in headless Chromium (plain <script type=module> and a Vite bundle)"
node tests/js/browser/run.mjs

step "TypeScript declarations"
(cd tests/js && tsc -p tsconfig.json)

# One closing line for the whole run: the sum of what every runner reported as passed.
passed=$(grep -hoE '^test result: ok\. [0-9]+ passed|^# pass [0-9]+|: [0-9]+ passed, 0 failed' "$log" \
  | grep -oE '[0-9]+ passed|pass [0-9]+' | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }')
printf '\nall tests passed in %ss\n' "$((SECONDS - start))"
printf 'atproof: %s passed, 0 failed\n' "$passed"
