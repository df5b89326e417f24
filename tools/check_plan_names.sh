#!/usr/bin/env bash
# Issue 29's typed plan: after parsing, the run is enums and registry rows, so no source outside the
# parsers compares a configuration value with an architecture, loss or choice name. Lists every
# `== "name"` / `!= "name"` on the names of the closed choices and the registries under src/ and
# include/ (exit 1 when there is one).
# Usage: tools/check_plan_names.sh [ROOT]
set -euo pipefail
root=${1:-$(dirname "$0")/..}
names='dcgan|resnet|blog|seed|wgan-gp|wgan|gan|layer|instance|batch|fp32|bf16|linear|cpu|cuda'
hits=$(grep -rnE "(==|!=)[[:space:]]*\"($names)\"|\"($names)\"[[:space:]]*(==|!=)" "$root/src" "$root/include" || true)
if [[ -n $hits ]]; then
  echo "compares with a choice's name (use the enum or the registry row):"
  echo "$hits"
  exit 1
fi
echo "no name compares outside the parsers"
