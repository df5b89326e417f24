#!/usr/bin/env bash
# One-shot GPU check for a machine with an NVIDIA GPU and a pip PyTorch (no package registry):
#   1. configure against that PyTorch's LibTorch (torch.utils.cmake_prefix_path), without the
#      optional dependencies the machine lacks (OpenCV, GoogleTest, Google Benchmark);
#   2. check one WGAN-GP critic step on CUDA against the CPU (bench/gpu_check.cpp);
#   3. training throughput of wgan and of the Python reference (bench/reference.py) on the same card.
# Header-only packages the machine lacks travel as .deb files in .device/debs (see docs/performance.md).
# Usage: bench/gpu_check.sh [OUT_DIR] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${1:-${OUT:-/tmp/wgan-gpu-check}}
STEPS=${2:-60}
PY=${PYTHON:-python3}
mkdir -p "$OUT_DIR"
log() { echo "== $*" | tee -a "$OUT_DIR/summary.txt"; }

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT_DIR/gpu.txt" || true
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
cmake -S . -B build-gpu "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DWGAN_BUILD_TESTS=OFF -DWGAN_BUILD_BENCH=OFF "${CMAKE_EXTRA[@]}" 2>&1 | tee "$OUT_DIR/configure.log" | grep -E "wgan:|Error" || true
cmake --build build-gpu -j "$(nproc)" --target wgan_gpu_check wgan_cli 2>&1 | tail -n 30 > "$OUT_DIR/build.log"
log "build took $(( $(date +%s) - start )) s"

log "wgan: CUDA vs CPU step check, then throughput (batch 64, n_critic 5, $STEPS steps)"
status=0
build-gpu/wgan_gpu_check "$STEPS" 5 | tee "$OUT_DIR/gpu_check.jsonl" || status=$?
log "python reference on the same card"
$PY bench/reference.py --device cuda --resolution 32 --channels 1 --steps "$STEPS" --warmup 5 | tee -a "$OUT_DIR/gpu_check.jsonl"
$PY bench/reference.py --device cuda --resolution 64 --channels 3 --steps "$STEPS" --warmup 5 | tee -a "$OUT_DIR/gpu_check.jsonl"
log "wgan train CLI smoke test on CUDA"
build-gpu/wgan train --help >/dev/null && log "cli ok"
exit $status
