#!/usr/bin/env bash
# Replaces tests/conformance with a copy of ../shared/conformance (the corpus's source of
# truth, beside the repository). The conformance test fails while the two differ.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/../shared/conformance"
dst="$root/tests/conformance"
if [ ! -d "$src" ]; then
  echo "error: $src does not exist" >&2
  exit 1
fi
rm -rf "$dst"
cp -R "$src" "$dst"
# shared/ may be read-only; the copy must stay writable for the next sync.
chmod -R u+w "$dst"
echo "synced $(find "$dst" -type f | wc -l) files from $src"
