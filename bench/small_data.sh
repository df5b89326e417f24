#!/usr/bin/env bash
# Small-data check for --augment (issue 15): Fashion-MNIST cut to --max-images N, the same number
# of generator steps with and without augmentation, fd-fmnist logged during training. The two runs
# go side by side, one core each (a 2-core machine); the last lines print each run's fd-fmnist curve.
# The run without augmentation is `--augment-p ada --ada-kimg 1e9`: p never leaves 0, so nothing is
# augmented, but the overfitting signal r is measured and logged (ada_signal in metrics.jsonl), and
# an ada run draws the same random numbers until its p first moves.
#   bash bench/small_data.sh [N=2000] [STEPS=1200] [SEED=1] [AUGMENT=color,translation,cutout] [P=ada]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}; steps=${2:-1200}; seed=${3:-1}; augment=${4:-color,translation,cutout}; p=${5:-ada}
out=runs/small_data_n${n}_s${seed}
every=$(( steps >= 4000 ? 128 : 64 ))  # kimg between fd-fmnist evaluations
common=(--max-images "$n" --steps "$steps" --seed "$seed" --threads 1 --quiet --overwrite --augment "$augment"
        --metrics fd-fmnist --metrics-every "$every" --metrics-num 2000 --sample-every "$steps" --checkpoint-every 1000)
./build/wgan train "${common[@]}" --augment-p ada --ada-kimg 1e9 --run-dir "$out/plain" &
./build/wgan train "${common[@]}" --augment-p "$p" --run-dir "$out/augment" &
wait
for run in plain augment; do
  echo "$run: step fd_fmnist classes"
  python3 -c 'import json,sys
for line in open(sys.argv[1]):
    j = json.loads(line)
    if "fd_fmnist" in j: print(j["step"], round(j["fd_fmnist"], 1), j.get("fd_fmnist_classes_covered", ""))' "$out/$run/metrics.jsonl"
done
