#!/usr/bin/env bash
# Small-data check for --augment (issue 15): Fashion-MNIST cut to --max-images N, the same number
# of generator steps with and without augmentation, fd-fmnist logged during training. The two runs
# go side by side, one core each (a 2-core machine); the last lines print each run's fd-fmnist curve.
#   bash bench/small_data.sh [N=2000] [STEPS=1200] [SEED=1] [AUGMENT=color,translation,cutout]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}; steps=${2:-1200}; seed=${3:-1}; augment=${4:-color,translation,cutout}
out=runs/small_data_n${n}_s${seed}
common=(--max-images "$n" --steps "$steps" --seed "$seed" --threads 1 --quiet --overwrite
        --metrics fd-fmnist --metrics-every 64 --metrics-num 2000 --sample-every "$steps" --checkpoint-every "$steps")
./build/wgan train "${common[@]}" --run-dir "$out/plain" &
./build/wgan train "${common[@]}" --augment "$augment" --run-dir "$out/augment" &
wait
for run in plain augment; do
  echo "$run: step fd_fmnist classes"
  python3 -c 'import json,sys
for line in open(sys.argv[1]):
    j = json.loads(line)
    if "fd_fmnist" in j: print(j["step"], round(j["fd_fmnist"], 1), j.get("fd_fmnist_classes_covered", ""))' "$out/$run/metrics.jsonl"
done
