#!/usr/bin/env bash
# The everyday commands (train, resume, sample, export in three formats, eval, check, report,
# prepare, conditional + augmented, grown, ResNet, toy) run once by a wgan built with
# AddressSanitizer and UBSan (make fuzz's build-fuzz/wgan, or make sanitize's), on small settings.
# Any sanitizer report aborts that command; prints one line per command and exits 1 if any failed.
# Usage: tools/sanitized_commands.sh INSTRUMENTED_WGAN [ORT_WEB_DIST]
set -u
wgan=$(realpath "$1")
ort_web=""
[ -n "${2:-}" ] && [ -d "$2" ] && ort_web=$(realpath "$2")  # without it the web export is left out
root=$(realpath "$(dirname "$0")/..")
work=$(mktemp -d)
cd "$work" || exit 1
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
count=0
failed=0
step() {
  count=$((count + 1))
  "$wgan" "$@" >"log_$count.txt" 2>&1
  local code=$?
  if [ $code -eq 0 ]; then
    echo "ok    wgan $*"
  else
    failed=$((failed + 1))
    echo "FAIL  wgan $* (exit $code; log: $work/log_$count.txt)"
    grep -m3 "runtime error\|AddressSanitizer\|error:" "log_$count.txt"
  fi
}
small="--quiet --threads 2 --width 8 --batch 16"
step train $small --max-images 512 --steps 30 --log-every 5 --run-dir r1 --metrics swd --metrics-num 256
step train --resume r1 --steps 40 --quiet
step sample --checkpoint r1 --num 16 --grid g.png
step sample --checkpoint r1 --interpolate 3,17 --steps 6 --grid walk.png
step export --checkpoint r1 --to g.pt
step export --checkpoint r1 --to g.onnx
[ -n "$ort_web" ] && step export --checkpoint r1 --web --to web --ort-web "$ort_web"
step eval --checkpoint r1 --num 256 --metrics swd
step check r1 g.pt
step report r1
# Two classes of images (PNG written by a training grid, and the JPEG fixtures) prepared at 32x32.
mkdir -p images/a images/b
cp "$root"/tests/data/fixtures/*.jpg images/a/
for k in $(seq 12); do cp g.png "images/b/grid$k.png"; cp walk.png "images/a/walk$k.png"; done
step prepare images --out ds --resolution 32
step train $small --data ds --steps 12 --run-dir r2 --cond --augment color,translation,cutout --augment-p 0.3
step train $small --data ds --grow --grow-from 8 --grow-kimg 0.1 --steps 24 --run-dir r3
step sample --checkpoint r3 --num 4 --grid g3.png
step train $small --arch resnet --max-images 256 --steps 4 --run-dir r4
step toy --steps 50 --quiet --out toy
echo "$count commands under ASan and UBSan, $failed failed"
[ "$failed" -eq 0 ] && rm -rf "$work"
[ "$failed" -eq 0 ]
