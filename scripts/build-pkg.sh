#!/usr/bin/env bash
# Builds the npm package into pkg/: the release wasm through wasm-bindgen (--target web) and
# wasm-opt, plus what pkg-template/ adds (entry points per runtime, types, package.json, README).
# Usage: scripts/build-pkg.sh   (after scripts/setup.sh build)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"

rm -rf pkg
# The standard library rebuilt with the crate, its panics reduced to the abort they end in anyway
# (`panic=immediate-abort`, std's `optimize_for_size`): without the panic messages and the
# formatting and location data behind them, each module is about 4 % smaller (gzip) and as fast
# (docs/performance.md, "wasm size"). Both are unstable options of the stable compiler, which
# RUSTC_BOOTSTRAP lets this one build use (it needs the rust-src component: scripts/setup.sh); the
# crate itself builds on stable Rust with no such option. The flags are appended to those of
# .cargo/config.toml.
std_options=(-Z build-std=std,panic_abort -Z build-std-features=optimize_for_size
  --config 'target.wasm32-unknown-unknown.rustflags=["-Zunstable-options", "-Cpanic=immediate-abort"]')
# wasm-opt's features: those rustc enables for wasm32 by default, and SIMD128 (.cargo/config.toml).
wasm_features=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd)
# One build into pkg/: `glue` names its wasm-bindgen output (glue.js, glue_bg.wasm, glue.d.ts).
build() {
  local glue=$1
  shift
  RUSTC_BOOTSTRAP=1 cargo build --locked --release --target wasm32-unknown-unknown --lib \
    "${std_options[@]}" "$@"
  # secp256k1-sys defines libsecp256k1's allocating context functions and default callbacks in
  # Rust with #[no_mangle], and a cdylib exports every such symbol: JS would see four C entry
  # points among the instance's exports and in initSync's declared return type. Removed before
  # wasm-bindgen reads the module (what only they reached goes with them: under 1 KB).
  wasm-opt "${wasm_features[@]}" --remove-exports --pass-arg='remove-exports@rustsecp256k1_*' \
    target/wasm32-unknown-unknown/release/atproof.wasm -o target/wasm32-unknown-unknown/release/atproof.pkg.wasm
  wasm-bindgen --target web --weak-refs --out-dir pkg --out-name "$glue" \
    target/wasm32-unknown-unknown/release/atproof.pkg.wasm
  # npm binaryen's wasm-opt (never Debian's).
  wasm-opt -O3 "${wasm_features[@]}" "pkg/${glue}_bg.wasm" -o "pkg/${glue}_bg.opt.wasm"
  mv "pkg/${glue}_bg.opt.wasm" "pkg/${glue}_bg.wasm"

  # createInstance().release() (pkg-template/api.js) needs to drop a glue's instance: the glue
  # keeps it in module variables, and ES modules are never unloaded. Appended here: the glue has no
  # such call.
  grep -q '^let wasmModule, wasmInstance, wasm;$' "pkg/$glue.js" \
    || { echo "build-pkg: the wasm-bindgen glue no longer declares 'let wasmModule, wasmInstance, wasm;'" >&2; exit 1; }
  local views
  views=$(sed -nE 's/^let (cached[A-Za-z0-9]*Memory0) = null;$/\1 = null;/p' "pkg/$glue.js" | tr '\n' ' ')
  cat >> "pkg/$glue.js" <<JS

// Added by scripts/build-pkg.sh for createInstance().release(): the instance, its memory and the
// views of it become unreachable; \`standIn\` answers every later call. Under a symbol, not an export.
initSync[Symbol.for('atproof.release')] = (standIn) => {
    wasm = standIn;
    wasmInstance = undefined;
    ${views}
};
JS
  # The classes' [Symbol.dispose] would make the declarations need TypeScript's esnext.disposable
  # lib; the method stays in the JS (where the runtime has the symbol), only its declaration goes.
  sed -i '/^    \[Symbol\.dispose\](): void;$/d' "pkg/$glue.d.ts"
}
build atproof
# The verify-only build (atproof/verify): the crate with `js` but not `full`. Both glues import
# the same snippets (src/bindings/*.js, in a folder named by a hash of the crate).
build atproof_verify --no-default-features --features js

cp pkg-template/*.js pkg-template/*.d.ts pkg-template/README.md pkg/
cp LICENSE-MIT LICENSE-APACHE pkg/
# The JS classes of src/bindings/ are wasm-bindgen snippets (the glue imports them from a folder
# whose name carries a hash); api.js and core.js import them.
bindings=$(cd pkg && dirname "$(find snippets -path '*/src/bindings/error.js' | head -n 1)")
[ "$bindings" != . ] || { echo "build-pkg: src/bindings snippets not found" >&2; exit 1; }
sed -i "s#__BINDINGS__#./$bindings#g" pkg/api.js pkg/core.js
# atproof/verify's entry point per runtime: the full build's, loading the other glue and module.
for entry in index node deno browser workerd; do
  { echo "// Made by scripts/build-pkg.sh from $entry.js, for atproof/verify (the verify-only build)."
    sed -e 's#\./atproof\.js#./atproof_verify.js#g' -e 's#\./core\.js#./verify-core.js#g' \
      -e 's#\./atproof_bg\.wasm#./atproof_verify_bg.wasm#g' "pkg-template/$entry.js"; } > "pkg/verify-$entry.js"
done
version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
sed "s/__VERSION__/$version/" pkg-template/package.json > pkg/package.json
rm -f pkg/.gitignore

node scripts/wasm-size.mjs pkg
