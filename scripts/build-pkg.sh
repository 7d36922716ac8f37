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
  --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
  pkg/atproof_bg.wasm -o pkg/atproof_bg.opt.wasm
mv pkg/atproof_bg.opt.wasm pkg/atproof_bg.wasm

# createInstance().release() (pkg-template/core.js) needs to drop a glue's instance: the glue keeps
# it in module variables, and ES modules are never unloaded. Appended here: the glue has no such call.
grep -q '^let wasmModule, wasmInstance, wasm;$' pkg/atproof.js \
  || { echo "build-pkg: the wasm-bindgen glue no longer declares 'let wasmModule, wasmInstance, wasm;'" >&2; exit 1; }
views=$(sed -nE 's/^let (cached[A-Za-z0-9]*Memory0) = null;$/\1 = null;/p' pkg/atproof.js | tr '\n' ' ')
cat >> pkg/atproof.js <<JS

// Added by scripts/build-pkg.sh for createInstance().release(): the instance, its memory and the
// views of it become unreachable; \`standIn\` answers every later call. Under a symbol, not an export.
initSync[Symbol.for('atproof.release')] = (standIn) => {
    wasm = standIn;
    wasmInstance = undefined;
    ${views}
};
JS

# The classes' [Symbol.dispose] would make the declarations need TypeScript's esnext.disposable lib;
# the method stays in the JS (where the runtime has the symbol), only its declaration goes.
sed -i '/^    \[Symbol\.dispose\](): void;$/d' pkg/atproof.d.ts
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
