#!/usr/bin/env bash
# Runs worker.mjs under workerd with the built package (pkg/) as its 'atproof' and 'atproof/verify'
# module sets.
# The config is generated because the error-class snippet's folder name carries a hash.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
out="$root/target/workerd-test"
rm -rf "$out" && mkdir -p "$out"
cp -r "$root/pkg" "$out/pkg"
cp "$root/tests/js/workerd/worker.mjs" "$out/worker.mjs"
snippets=$(cd "$out/pkg" && find snippets -name '*.js' | sort | sed 's#.*#    (name = "&", esModule = embed "pkg/&"),#')
cat > "$out/config.capnp" <<CAPNP
using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .mainWorker) ],
);
const mainWorker :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "atproof", esModule = embed "pkg/workerd.js"),
    (name = "core.js", esModule = embed "pkg/core.js"),
    (name = "api.js", esModule = embed "pkg/api.js"),
    (name = "atproof-verify", esModule = embed "pkg/verify-workerd.js"),
    (name = "verify-core.js", esModule = embed "pkg/verify-core.js"),
    (name = "atproof_verify.js", esModule = embed "pkg/atproof_verify.js"),
    (name = "atproof.js", esModule = embed "pkg/atproof.js"),
    (name = "streams.js", esModule = embed "pkg/streams.js"),
    (name = "firehose.js", esModule = embed "pkg/firehose.js"),
    (name = "subscribe.js", esModule = embed "pkg/subscribe.js"),
    (name = "resolve.js", esModule = embed "pkg/resolve.js"),
    (name = "repo.js", esModule = embed "pkg/repo.js"),
    (name = "options.js", esModule = embed "pkg/options.js"),
$snippets
    (name = "atproof_bg.wasm", wasm = embed "pkg/atproof_bg.wasm"),
    (name = "atproof_verify_bg.wasm", wasm = embed "pkg/atproof_verify_bg.wasm"),
  ],
  compatibilityDate = "2026-01-01",
);
CAPNP
cd "$out" && workerd test config.capnp
