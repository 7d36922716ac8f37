#!/usr/bin/env bash
# The main job: builds the npm package and runs it on the built-in sample data, printing what it
# checked — the library (demo.mjs), then the command line against loopback stand-ins of the
# network (demo-cli.mjs, which needs tests/js's packages). Installs whatever is missing first.
# Usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build
bash scripts/build-pkg.sh
node scripts/demo.mjs
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
node scripts/demo-cli.mjs
