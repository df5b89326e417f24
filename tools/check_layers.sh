#!/usr/bin/env bash
# The layer rule of docs/architecture.md, checked on every #include "wgan/..." under include/ and
# src/: a file of layer L may include its own layer and the layers of lower rank only. Layers of
# equal rank are independent and may not include each other. A new directory must be given a rank
# here (and a paragraph in docs/architecture.md) before it builds into the library.
# Usage: tools/check_layers.sh [ROOT]   (exit 1 listing every offending include)
set -euo pipefail
root=${1:-$(dirname "$0")/..}
declare -A rank=(
  [util]=0
  [data]=1 [dist]=1
  [losses]=2 [models]=2
  [augment]=3 [optim]=3
  [io]=4
  [generate]=5
  [metrics]=6 [run]=6
  [train]=7 [toy]=7
  [commands]=8
)
status=0
while IFS= read -r file; do
  rel=${file#"$root"/}
  layer=$(echo "$rel" | sed -E 's#^(include/wgan|src)/([^/]+)/.*#\2#')
  if [[ -z ${rank[$layer]+x} ]]; then
    echo "$rel: directory '$layer' has no layer rank in tools/check_layers.sh"
    status=1
    continue
  fi
  while IFS= read -r line; do
    number=${line%%:*}
    target=$(echo "$line" | sed -E 's#.*"wgan/([^/]+)/.*#\1#')
    [[ $target == "$layer" ]] && continue
    if [[ -z ${rank[$target]+x} ]]; then
      echo "$rel:$number: includes wgan/$target/, a directory with no layer rank"
      status=1
    elif ((rank[$target] >= rank[$layer])); then
      echo "$rel:$number: layer '$layer' (rank ${rank[$layer]}) includes wgan/$target/ (rank ${rank[$target]}): only lower layers may be included"
      status=1
    fi
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"wgan/[^/"]*/' "$file" || true)
done < <(find "$root/include/wgan" "$root/src" -mindepth 2 -type f \( -name '*.h' -o -name '*.cpp' -o -name '*.def' \) | sort)
if ((status == 0)); then echo "layers: every include goes down ($(find "$root/include/wgan" "$root/src" -mindepth 2 -type f | wc -l) files)"; fi
exit $status
