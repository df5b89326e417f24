#!/usr/bin/env bash
# Issue 34's figures: seconds from SIGTERM (delivered twice, as timeout(1) and group kills do) to
# the exit of `wgan train` at 64x64 in colour with the CPU defaults, at random moments of plain
# training and inside a quality evaluation, with what each stop's checkpoint cost (disk and time).
#   bash bench/stop_latency.sh DATASET [REPEATS=3]   (DATASET: a prepared 64x64 RGB set, e.g. the
#   emoji of bench/fetch_emoji.sh: build/emoji/emoji64)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?a prepared 64x64 RGB dataset}
repeats=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wgan=./build/wgan

seconds_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }

# One run: start, wait WAIT seconds, two SIGTERMs at once; prints the seconds to exit and the code.
stop_after() {
  local wait=$1; shift
  rm -rf "$work/run"
  "$wgan" train --data "$data" --run-dir "$work/run" --quiet "$@" > "$work/log" 2>&1 &
  local pid=$!
  sleep "$wait"
  local start; start=$(date +%s%N)
  kill -TERM $pid; kill -TERM $pid
  local code=0; wait $pid || code=$?
  # The stop's line gives the step and what its checkpoint cost (size and seconds).
  printf '%s s to exit, code %d: %s\n' "$(seconds_since "$start")" $code \
    "$(grep -o 'interrupted at step [0-9]*.*' "$work/log" | sed 's|checkpoint written to [^ ]* |checkpoint |' || echo 'no checkpoint')"
}

echo "## SIGTERM x2 during training (64x64 defaults)"
for i in $(seq 1 "$repeats"); do stop_after $((40 + 7 * i)); done
echo "## SIGTERM x2 during a quality evaluation (--metrics swd after every step, 5,000 images)"
stop_after 60 --metrics swd --metrics-every 0.3
grep -q abandoned "$work/log" && echo "   (the evaluation was abandoned)"

