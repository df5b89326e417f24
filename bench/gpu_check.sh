#!/usr/bin/env bash
# One-shot GPU check for a machine with an NVIDIA GPU and a pip PyTorch (no package registry):
#   1. configure against that PyTorch's LibTorch (torch.utils.cmake_prefix_path), without the
#      optional dependencies the machine lacks (OpenCV, GoogleTest, Google Benchmark);
#   2. check one WGAN-GP critic step on CUDA against the CPU (bench/gpu_check.cpp);
#   3. training throughput of wgan's speed variants and of the Python reference (bench/reference.py)
#      on the same card, alternated, with a markdown table at the end;
#   4. with TRAIN_STEPS > 0, a real Fashion-MNIST run (width 64) with quality metrics, timed.
# Header-only packages the machine lacks travel as .deb files in .device/debs, and the Fashion-MNIST
# idx files in .device/fmnist (see docs/performance.md).
# If the build fails with the NCCL backend, it retries with Gloo only, then single-process only,
# and keeps each failing log: one run always gets as far as it can.
# Usage: bench/gpu_check.sh [OUT_DIR] [STEPS] [TRAIN_STEPS] [TRAIN_FLAGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${1:-${OUT:-/tmp/wgan-gpu-check}}
STEPS=${2:-40}
TRAIN_STEPS=${3:-0}
shift $(( $# < 3 ? $# : 3 ))
TRAIN_FLAGS=("$@")
PY=${PYTHON:-python3}
mkdir -p "$OUT_DIR"
log() { echo "== $*" | tee -a "$OUT_DIR/summary.txt"; }

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee -a "$OUT_DIR/summary.txt" || true
TORCH_PREFIX=$($PY -c 'import torch; print(torch.utils.cmake_prefix_path)')
log "torch $($PY -c 'import torch; print(torch.__version__, torch.version.cuda)') at $TORCH_PREFIX"

PREFIX="$TORCH_PREFIX"
CMAKE_EXTRA=()
if compgen -G ".device/debs/*.deb" >/dev/null; then
  mkdir -p .device/root
  for f in .device/debs/*.deb; do dpkg -x "$f" .device/root; done
  PREFIX="$PREFIX;$PWD/.device/root/usr"
  if [ ! -f /usr/include/zlib.h ] && [ -f .device/root/usr/include/zlib.h ]; then
    CMAKE_EXTRA+=(-DZLIB_INCLUDE_DIR="$PWD/.device/root/usr/include"
                  -DZLIB_LIBRARY="$PWD/.device/root/usr/lib/x86_64-linux-gnu/libz.a")
  fi
fi
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
start=$(date +%s)
build() {  # build LABEL CMAKE_FLAGS...
  local label=$1; shift
  cmake -S . -B build-gpu "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DWGAN_BUILD_TESTS=OFF -DWGAN_BUILD_BENCH=OFF "${CMAKE_EXTRA[@]}" "$@" > "$OUT_DIR/configure-$label.log" 2>&1 || true
  grep -E "wgan:" "$OUT_DIR/configure-$label.log" | tee -a "$OUT_DIR/summary.txt" || true
  # Keep going past the first error, so one log names every file that fails.
  local keep_going=(-k); [ ${#GEN[@]} -gt 0 ] && keep_going=(-k 0)
  cmake --build build-gpu -j "$(nproc)" --target wgan_gpu_check wgan_cli -- "${keep_going[@]}" > "$OUT_DIR/build-$label.log" 2>&1
}
if build full -DWGAN_DIST=ON -DWGAN_NCCL=ON; then log "build: full (c10d with NCCL when found)"
elif build gloo -DWGAN_NCCL=OFF; then log "build: NCCL FAILED (build-full.log), Gloo only"
elif build single -DWGAN_DIST=OFF; then log "build: c10d FAILED (build-full.log, build-gloo.log), single-process"
else log "build FAILED: see build-*.log"; grep -m 20 -E "error" "$OUT_DIR"/build-*.log; exit 3; fi
log "build took $(( $(date +%s) - start )) s"
# The device tool returns at most 8 files: the build logs only matter when the build failed.
rm -f "$OUT_DIR"/configure-*.log "$OUT_DIR"/build-*.log

log "wgan_gpu_check: CUDA vs CPU step check, then throughput (batch 64, n_critic 5, $STEPS steps per variant)"
status=0
build-gpu/wgan_gpu_check "$STEPS" 5 | tee "$OUT_DIR/gpu_check.txt" || status=$?
log "gpu_check exit $status after $(( $(date +%s) - start )) s"

if [ "$TRAIN_STEPS" -gt 0 ]; then
  DATA_DIR=${FMNIST_DIR:-$PWD/.device/fmnist}
  log "wgan train on Fashion-MNIST: $TRAIN_STEPS steps ${TRAIN_FLAGS[*]}"
  t0=$(date +%s)
  train_status=0
  build-gpu/wgan train --device cuda --data-dir "$DATA_DIR" --steps "$TRAIN_STEPS" --run-dir "$OUT_DIR/run" \
    "${TRAIN_FLAGS[@]}" > "$OUT_DIR/train.log" 2>&1 || train_status=$?
  tail -c 3000 "$OUT_DIR/train.log" | tr '\r' '\n' | tail -n 8
  log "train exit $train_status, $(( $(date +%s) - t0 )) s"
  if [ "$train_status" -ne 0 ] && [[ " ${TRAIN_FLAGS[*]} " == *" --cuda-graph "* ]]; then
    log "retrying the run without --cuda-graph"
    FLAGS=()
    for f in "${TRAIN_FLAGS[@]}"; do [ "$f" != "--cuda-graph" ] && FLAGS+=("$f"); done
    rm -rf "$OUT_DIR/run"
    train_status=0
    build-gpu/wgan train --device cuda --data-dir "$DATA_DIR" --steps "$TRAIN_STEPS" --run-dir "$OUT_DIR/run" \
      "${FLAGS[@]}" > "$OUT_DIR/train-retry.log" 2>&1 || train_status=$?
    log "retry exit $train_status, $(( $(date +%s) - t0 )) s"
  fi
  [ "$train_status" -ne 0 ] && status=$train_status
  # Large, or too many files to come back: keep the metrics, the report and the last grid.
  rm -rf "$OUT_DIR/run/checkpoints" "$OUT_DIR/run/dataset"
  last=$(ls "$OUT_DIR/run/samples" 2>/dev/null | sort | tail -n 1)
  if [ -n "$last" ]; then
    mv "$OUT_DIR/run/samples/$last" "$OUT_DIR/run/final_grid_$last"
    rm -rf "$OUT_DIR/run/samples"
  fi
fi
# The graph with each feature that changes what it captures (issues 15, 16, 19): a short run each,
# then a resume; only the exit codes and the last lines come back.
if [ "${GRAPH_PATHS:-1}" -eq 1 ]; then
  DATA_DIR=${FMNIST_DIR:-$PWD/.device/fmnist}
  for flags in "--augment color,translation,cutout --augment-p ada --ada-kimg 20" "--cond" "--xflip" "--loss gan"; do
    dir="$OUT_DIR/graph-path"
    rm -rf "$dir"
    path_status=0
    build-gpu/wgan train --device cuda --cuda-graph --precision bf16 --data-dir "$DATA_DIR" --steps 40 --checkpoint-every 20 \
      --sample-every 40 --quiet --run-dir "$dir" $flags > "$OUT_DIR/graph-path.log" 2>&1 || path_status=$?
    if [ "$path_status" -eq 0 ]; then
      build-gpu/wgan train --device cuda --cuda-graph --resume "$dir" --steps 60 --quiet >> "$OUT_DIR/graph-path.log" 2>&1 || path_status=$?
    fi
    log "graph with $flags: exit $path_status; $(tail -n 1 "$dir/metrics.jsonl" 2>/dev/null | cut -c1-160)"
    [ "$path_status" -ne 0 ] && { tail -n 5 "$OUT_DIR/graph-path.log"; status=$path_status; }
  done
  rm -rf "$OUT_DIR/graph-path" "$OUT_DIR/graph-path.log"
fi
exit $status
