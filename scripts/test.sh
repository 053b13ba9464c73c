#!/usr/bin/env bash
# Every test: for each backend that exists, build and run the whole suite (unit tests, the
# conformance suite under every start method, the ABI, install and build-variant checks), then
# again against the static library (release only: the same objects, linked the other way; its
# suite takes about a minute, its build one more release build without bench/), under ASan+UBSan
# and under TSan. Stops at the first failing workflow.
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh posix-asan      # one workflow preset
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(posix posix-static posix-asan posix-tsan)
for preset in "${presets[@]}"; do
  echo "=== workflow ${preset} ==="
  start=$(date +%s)
  cmake --workflow --preset "${preset}"
  echo "=== workflow ${preset} passed in $(( $(date +%s) - start )) s ==="
done
