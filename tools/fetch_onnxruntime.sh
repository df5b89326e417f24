#!/usr/bin/env bash
# Fetches onnxruntime from npm into DEST/node_modules (default build/npm): onnxruntime-node, which the
# ONNX tests run exported models in, and onnxruntime-web, whose dist/ files `wgan export --web` copies
# next to the page. Their binaries and wasm ship inside the packages; --ignore-scripts skips
# onnxruntime-node's install step, which would download CUDA libraries from nuget.org.
set -euo pipefail
DEST=${1:-build/npm}
VERSION=${ORT_VERSION:-1.30.0}
if [[ -f "$DEST/node_modules/onnxruntime-node/package.json" && -f "$DEST/node_modules/onnxruntime-web/dist/ort.wasm.min.js" ]] &&
   grep -q "\"version\": \"$VERSION\"" "$DEST/node_modules/onnxruntime-web/package.json"; then
  echo "onnxruntime $VERSION: already in $DEST"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "npm not found: apt-get install -y nodejs npm" >&2
  exit 1
fi
mkdir -p "$DEST"
npm install --prefix "$DEST" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
  "onnxruntime-node@$VERSION" "onnxruntime-web@$VERSION"
echo "onnxruntime $VERSION: in $DEST/node_modules"
