# workerd config for running the example locally: `workerd serve examples/worker/config.capnp`.
# The record worker listens on 127.0.0.1:8787, the firehose worker on 127.0.0.1:8788. Both embed
# the built package from ../../pkg (scripts/build-pkg.sh) as the module "atproof", through its
# workerd entry. Settings come from environment variables of the same name; unset means the
# public default (see README.md).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # Outbound fetches and WebSockets. Loopback and private addresses are allowed so that a local
    # PLC directory, PDS or relay can be used; Cloudflare's own network reaches public ones only.
    (name = "internet", network = (allow = ["public", "private", "local"], tlsOptions = (trustBrowserCas = true))),
  ],
  sockets = [
    (name = "record", address = "127.0.0.1:8787", http = (), service = "main"),
    (name = "firehose", address = "127.0.0.1:8788", http = (), service = (name = "main", entrypoint = "firehose")),
  ],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "local.mjs", esModule = embed "local.mjs"),
    (name = "record.mjs", esModule = embed "record.mjs"),
    (name = "firehose.mjs", esModule = embed "firehose.mjs"),
    (name = "settings.mjs", esModule = embed "settings.mjs"),
    # The package: its workerd entry, what that imports, and the wasm as a compiled module. The
    # snippets folder's name carries a hash from wasm-bindgen (ls ../../pkg/snippets).
    (name = "atproof", esModule = embed "../../pkg/workerd.js"),
    (name = "atproof.js", esModule = embed "../../pkg/atproof.js"),
    (name = "core.js", esModule = embed "../../pkg/core.js"),
    (name = "api.js", esModule = embed "../../pkg/api.js"),
    (name = "streams.js", esModule = embed "../../pkg/streams.js"),
    (name = "firehose.js", esModule = embed "../../pkg/firehose.js"),
    (name = "subscribe.js", esModule = embed "../../pkg/subscribe.js"),
    (name = "resolve.js", esModule = embed "../../pkg/resolve.js"),
    (name = "repo.js", esModule = embed "../../pkg/repo.js"),
    (name = "options.js", esModule = embed "../../pkg/options.js"),
    (name = "snippets/atproof-92c85b41908560c0/src/bindings/error.js", esModule = embed "../../pkg/snippets/atproof-92c85b41908560c0/src/bindings/error.js"),
    (name = "snippets/atproof-92c85b41908560c0/src/bindings/repo.js", esModule = embed "../../pkg/snippets/atproof-92c85b41908560c0/src/bindings/repo.js"),
    (name = "snippets/atproof-92c85b41908560c0/src/bindings/values.js", esModule = embed "../../pkg/snippets/atproof-92c85b41908560c0/src/bindings/values.js"),
    (name = "snippets/atproof-92c85b41908560c0/src/bindings/webcrypto.js", esModule = embed "../../pkg/snippets/atproof-92c85b41908560c0/src/bindings/webcrypto.js"),
    (name = "atproof_bg.wasm", wasm = embed "../../pkg/atproof_bg.wasm"),
  ],
  bindings = [
    (name = "PLC_DIRECTORY", fromEnvironment = "PLC_DIRECTORY"),
    (name = "DOH_URL", fromEnvironment = "DOH_URL"),
    (name = "HOST_URL", fromEnvironment = "HOST_URL"),
    (name = "VERIFY_PLC_LOG", fromEnvironment = "VERIFY_PLC_LOG"),
    (name = "RELAY_URL", fromEnvironment = "RELAY_URL"),
    (name = "BATCH_EVENTS", fromEnvironment = "BATCH_EVENTS"),
    (name = "BATCH_SECONDS", fromEnvironment = "BATCH_SECONDS"),
  ],
  compatibilityDate = "2026-01-01",
);
