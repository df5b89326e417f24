#!/usr/bin/env bash
# Runs every libFuzzer harness of FUZZ_BUILD for SECONDS each, from the seed corpus in
# FUZZ_BUILD/seeds (wgan_fuzz_replay seeds), growing FUZZ_BUILD/corpus/<harness>. Prints a table of
# executions per second and runs; exits 1 when a harness crashed, naming the input to keep in
# fuzz/regressions/<harness>/ (ctest replays that folder) once the reader is fixed.
# Usage: tools/run_fuzzers.sh FUZZ_BUILD SECONDS
set -uo pipefail
build=$1
seconds=$2
harnesses="checkpoint_fuzz image_decode_fuzz json_fuzz npy_fuzz torch_pickle_fuzz"
status=0
echo "| harness | seconds | runs | runs/s | corpus | crashes |"
echo "|---|---|---|---|---|---|"
for h in $harnesses; do
  corpus=$build/corpus/$h
  crashes=$build/crashes/$h
  mkdir -p "$corpus" "$crashes"
  cp -n "$build/seeds/$h"/* "$corpus"/ 2>/dev/null
  log=$build/$h.log
  # -rss_limit_mb: LibTorch alone is a few hundred MB; -timeout: a hang is a finding too.
  ASAN_OPTIONS=detect_leaks=0 "$build/$h" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  size=$(ls "$corpus" | wc -l)
  found=$(ls "$crashes" | wc -l)
  rate=$(awk -v r="${runs:-0}" -v s="$seconds" 'BEGIN { printf "%.0f", r / s }')
  echo "| $h | $seconds | ${runs:-0} | $rate | $size | $found |"
  if [ "$found" -gt 0 ]; then
    status=1
    for f in "$crashes"/*; do echo "  $h crashed on $f (log: $log): fix the reader, then keep it in fuzz/regressions/$h/" >&2; done
  fi
done
exit $status
