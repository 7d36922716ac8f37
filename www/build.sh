#!/bin/sh
# Copies the built npm package (pkg/, made by scripts/build-pkg.sh) into www/pkg/, so that www/ is
# a self-contained static site: the page imports ./pkg/browser.js, which fetches atproof_bg.wasm
# next to itself. The copy goes to a temporary directory first and is then swapped in, so a page
# being served never sees half of it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
source="$here/../pkg"
if [ ! -f "$source/browser.js" ] || [ ! -f "$source/atproof_bg.wasm" ]; then
  echo "www/build.sh: $source is not built; run scripts/build-pkg.sh first" >&2
  exit 1
fi
staging="$here/.pkg.tmp.$$"
trap 'rm -rf "$staging"' EXIT
cp -R "$source" "$staging"
rm -rf "$here/pkg"
mv "$staging" "$here/pkg"
echo "www/pkg: copied from pkg/"
