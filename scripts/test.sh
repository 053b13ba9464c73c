#!/usr/bin/env bash
# Every test: for each backend that exists, build and run the whole suite (unit tests, the
# conformance suite under every start method, the ABI and install checks), then again under
# ASan+UBSan and under TSan. Stops at the first failing workflow.
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh posix-asan      # one workflow preset
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(posix posix-asan posix-tsan)
for preset in "${presets[@]}"; do
  echo "=== workflow ${preset} ==="
  start=$(date +%s)
  cmake --workflow --preset "${preset}"
  echo "=== workflow ${preset} passed in $(( $(date +%s) - start )) s ==="
done
