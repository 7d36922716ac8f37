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
WASM_TESTS=(web web_sha crypto_wasm crypto_k256_libsecp crypto_wycheproof)
# wasm_tests WHERE: runs the wasm-bindgen tests of WASM_TESTS in WHERE (node, chrome or firefox)
# and fails unless each target ran tests of its own there (a browser run that is not told to use
# the browser silently runs 0 tests; one whose driver is missing falls back to another runner).
wasm_tests() {
  local where=$1 log target ran
  log=$(mktemp)
  local env=()
  case "$where" in
    chrome) env=(WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER="$(command -v chromedriver)") ;;
    firefox) env=(WASM_BINDGEN_USE_BROWSER=1 GECKODRIVER="$(command -v geckodriver)") ;;
  esac
  for target in "${WASM_TESTS[@]}"; do
    env "${env[@]}" cargo test --locked --target wasm32-unknown-unknown --test "$target" 2>&1 | tee "$log"
    ran=$(grep -cE '^test result: ok\. [1-9][0-9]* passed' "$log" || true)
    [ "$ran" = 1 ] || { echo "wasm tests: $target ran no test in $where" >&2; exit 1; }
    case "$where" in
      node) ! grep -q '^Running headless tests' "$log" ;;
      chrome) grep -q '^Running headless tests in Chrome' "$log" ;;
      firefox) grep -q '^Running headless tests in Firefox' "$log" ;;
    esac || { echo "wasm tests: $target did not run in $where" >&2; exit 1; }
  done
  rm -f "$log"
}

step "formatting, clippy (native, all targets; wasm32 library with the bindings, both builds, and without the JS API), the fuzz targets"
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown --lib -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown --lib --no-default-features --features js -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown --lib --no-default-features -- -D warnings
# The fuzz crate needs nightly only to run; a check on stable keeps its targets in step with the API.
cargo check --locked --manifest-path fuzz/Cargo.toml --bins

step "native tests"
cargo test --locked
# The crate as a Rust user gets it: the library and its examples, nothing else; and the example
# that uses it without JavaScript.
unexpected=$(cargo package --list --allow-dirty --locked | grep -vE '^(src/|docs/[a-z-]+\.md$|examples/[a-z_]+\.rs$|Cargo\.(toml|lock|toml\.orig)$|README\.md$|CHANGELOG\.md$|LICENSE-(MIT|APACHE)$|\.cargo_vcs_info\.json$)' || true)
[ -z "$unexpected" ] || { echo "cargo package would ship more than the library: $unexpected" >&2; exit 1; }
cargo run --locked --example verify -- tests/fixtures/generated/repo-1000-s1-k256.car \
  did:key:zQ3shib1VEhDds71EkT4n95qYQ9Ma34V6QPkEWqoWj3D8o2uv tests/fixtures/generated/repo-1000-s1-k256.frames.bin

step "binding layer in Node (wasm-bindgen-test)"
wasm_tests node

step "binding layer in headless Chromium (wasm-bindgen-test)"
wasm_tests chrome

step "binding layer in headless Firefox (wasm-bindgen-test)"
wasm_tests firefox

step "build the package"
bash scripts/build-pkg.sh
(cd pkg && npm pack --dry-run --json --loglevel=error) | node scripts/check-pack.mjs
# Each build's wasm within its size ceiling (scripts/wasm-size.mjs).
node scripts/wasm-size.mjs pkg --check
# tests/js: 'atproof' (file:../../pkg) and @atproto/crypto for the cross-implementation tests.
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)

step "package in Node (node:test)"
# Files, not a directory: from Node 21 on a directory argument is read as a glob pattern.
node --test tests/js/*.test.mjs

step "package fuzzed as users call it (tests/js/fuzz.mjs: 20 s, then 10 s on atproof/verify)"
node tests/js/fuzz.mjs
ATPROOF_FUZZ_BUILD=verify ATPROOF_FUZZ_SECONDS=10 node tests/js/fuzz.mjs

step "package in Deno"
(cd tests/js && deno run --allow-read smoke.mjs)

step "package in Bun"
(cd tests/js && bun smoke.mjs)

step "package in workerd"
bash tests/js/workerd/run.sh

step "the Worker example under workerd, against loopback stand-ins (examples/worker/test.mjs)"
node examples/worker/test.mjs

step "package in headless Chromium and Firefox (plain <script type=module> and a Vite bundle)"
node tests/js/browser/run.mjs

step "the demo page (www/) in headless Chromium, against loopback stand-ins (tests/js/www-page.mjs)"
node tests/js/www-page.mjs

step "TypeScript declarations"
(cd tests/js && tsc -p tsconfig.json)

# One closing line for the whole run: the sum of what every runner reported as passed.
passed=$(grep -hoE '^test result: ok\. [0-9]+ passed|^# pass [0-9]+|: [0-9]+ passed, 0 failed' "$log" \
  | grep -oE '[0-9]+ passed|pass [0-9]+' | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }')
printf '\nall tests passed in %ss\n' "$((SECONDS - start))"
printf 'atproof: %s passed, 0 failed\n' "$passed"
