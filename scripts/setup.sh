#!/usr/bin/env bash
# Installs what atproof's build and tests need, skipping whatever is already there.
# Usage: scripts/setup.sh [build|test]   (build: clang, Rust wasm target, wasm-bindgen CLI, npm tools;
#                                         test: also headless Chromium, Firefox and their drivers)
# Never installs Debian's binaryen (its wasm-opt 108 breaks wasm-bindgen output): wasm-opt comes
# from npm's binaryen, into the git-ignored .tools/ folder with the other npm tools.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-build}"
export PATH="$HOME/.cargo/bin:$PWD/.tools/node_modules/.bin:$PATH"

GECKODRIVER_VERSION=0.37.1
mkdir -p target
apt_packages=()
# clang (Debian's, 14) compiles libsecp256k1, the C inside secp256k1-sys, for wasm32 (to LLVM bitcode,
# which the Rust linker's newer LLVM compiles: .cargo/config.toml); cc archives it with llvm-ar.
# (Native builds use the system's cc.)
if ! command -v clang >/dev/null || ! command -v llvm-ar >/dev/null; then
  apt_packages+=(clang llvm)
fi
if [ "$what" = test ] && { ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; }; then
  apt_packages+=(chromium chromium-driver)
fi
if [ "$what" = test ] && ! command -v firefox-esr >/dev/null; then
  apt_packages+=(firefox-esr)
fi
apt_pid=""
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "setup: installing ${apt_packages[*]} (apt, in the background)"
  ( apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}" ) \
    > target/apt-install.log 2>&1 &
  apt_pid=$!
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
# The standard library's source, which scripts/build-pkg.sh rebuilds for the package's wasm.
if ! rustup component list --installed | grep -qx rust-src; then
  rustup component add rust-src
fi

# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$wb_version" ]; then
  echo "setup: installing wasm-bindgen-cli $wb_version (about a minute)"
  # --locked fails for 0.2.130 (its lock file wants a webpki-roots the registry lacks); --debug halves
  # the build time and gives byte-identical output.
  cargo install --debug --locked wasm-bindgen-cli --version "$wb_version" 2>/dev/null \
    || cargo install --debug wasm-bindgen-cli --version "$wb_version"
fi

# geckodriver, which drives Firefox for the browser tests: Debian 12 has none and npm's package
# downloads a binary, so it is built from crates.io (about two minutes, once).
if [ "$what" = test ] && [ "$(geckodriver --version 2>/dev/null | head -n 1 | cut -d' ' -f2)" != "$GECKODRIVER_VERSION" ]; then
  echo "setup: installing geckodriver $GECKODRIVER_VERSION"
  cargo install --locked geckodriver --version "$GECKODRIVER_VERSION"
fi

# npm tools, pinned, in .tools/ (git-ignored).
if ! cmp -s scripts/tools-package.json .tools/package.json || [ ! -d .tools/node_modules ]; then
  echo "setup: installing npm tools into .tools/"
  mkdir -p .tools
  cp scripts/tools-package.json .tools/package.json
  ( cd .tools && npm install --no-audit --no-fund --loglevel=error )
fi

if [ -n "$apt_pid" ]; then
  wait "$apt_pid" || { cat target/apt-install.log; exit 1; }
fi
