#!/usr/bin/env bash
# The main job: builds the npm package and runs it on the built-in sample data, printing what it
# checked. Installs whatever is missing first. Usage: scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build
bash scripts/build-pkg.sh
node scripts/demo.mjs
