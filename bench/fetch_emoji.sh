#!/usr/bin/env bash
# The small RGB set of issue 15: Google's Noto emoji at 64x64 from the npm package
# emoji-datasource-google (about 3,800 RGBA PNGs, transparent backgrounds), unpacked outside the
# repository and prepared with `wgan prepare` (alpha composited on white) at 32 and 64.
#   bash bench/fetch_emoji.sh [DEST=build/emoji]  ->  DEST/emoji32, DEST/emoji64 (prepared datasets)
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-build/emoji}
version=${EMOJI_VERSION:-16.0.0}
mkdir -p "$dest"
if [[ ! -d "$dest/package/img/google/64" ]]; then
  command -v npm >/dev/null || { echo "npm not found: apt-get install -y nodejs npm" >&2; exit 1; }
  [[ -f "$dest/emoji-datasource-google-$version.tgz" ]] || (cd "$dest" && npm pack --silent "emoji-datasource-google@$version" >/dev/null)
  # Only the 64x64 images: the package's other sizes and sheets are most of its 74 MB.
  tar xzf "$dest/emoji-datasource-google-$version.tgz" -C "$dest" package/img/google/64
  rm -f "$dest/emoji-datasource-google-$version.tgz"
fi
for side in 32 64; do
  [[ -f "$dest/emoji$side/manifest.json" ]] && continue
  ./build/wgan prepare "$dest/package/img/google/64" --out "$dest/emoji$side" --resolution "$side" --channels 3
done
echo "emoji: $(ls "$dest/package/img/google/64" | wc -l) images, prepared in $dest/emoji32 and $dest/emoji64"
