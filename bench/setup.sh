#!/usr/bin/env bash
# Installs the pinned peer libraries and esbuild into bench/node_modules (git-ignored) with `npm ci`,
# only when node_modules is missing or older than package-lock.json. Usage: bench/setup.sh
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.package-lock.json   # npm writes this on every install
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ] && [ "$stamp" -nt package.json ]; then
  exit 0
fi
echo "bench/setup: npm ci (pinned peers + esbuild)"
# The @atproto/* packages declare engines node>=22; the parts used here run on Node 20.
npm ci --no-audit --no-fund --loglevel=error
