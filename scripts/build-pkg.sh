#!/usr/bin/env bash
# Builds the npm package into pkg/: the release wasm through wasm-bindgen (--target web) and
# wasm-opt, plus what pkg-template/ adds (entry points per runtime, types, package.json, README).
# Usage: scripts/build-pkg.sh   (after scripts/setup.sh build)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"

cargo build --locked --release --target wasm32-unknown-unknown --lib
rm -rf pkg
wasm-bindgen --target web --weak-refs --out-dir pkg --out-name atproof \
  target/wasm32-unknown-unknown/release/atproof.wasm
# npm binaryen's wasm-opt (never Debian's). Features: those rustc enables for wasm32 by default.
wasm-opt -O3 --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  pkg/atproof_bg.wasm -o pkg/atproof_bg.opt.wasm
mv pkg/atproof_bg.opt.wasm pkg/atproof_bg.wasm

cp pkg-template/*.js pkg-template/*.d.ts pkg-template/README.md pkg/
cp LICENSE-MIT LICENSE-APACHE pkg/
# The JS classes of src/bindings/ are wasm-bindgen snippets (the glue imports them from a folder
# whose name carries a hash); core.js re-exports them.
bindings=$(cd pkg && dirname "$(find snippets -path '*/src/bindings/error.js' | head -n 1)")
[ "$bindings" != . ] || { echo "build-pkg: src/bindings snippets not found" >&2; exit 1; }
sed -i "s#__BINDINGS__#./$bindings#g" pkg/core.js
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
sed "s/__VERSION__/$version/" pkg-template/package.json > pkg/package.json
rm -f pkg/.gitignore

raw=$(stat -c %s pkg/atproof_bg.wasm)
gz=$(gzip -9 -c pkg/atproof_bg.wasm | wc -c)
echo "build-pkg: pkg/atproof_bg.wasm $raw bytes ($gz gzip -9)"
