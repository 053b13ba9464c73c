#!/usr/bin/env bash
# Every test: first the public headers and the whole conformance suite must compile for Windows
# (mingw-w64, syntax only: scripts/mingw-check.sh); then, for each backend that exists, build and
# run the whole suite (unit tests, the conformance suite under every start method, the ABI,
# install and build-variant checks), then again against the static library (release only: the
# same objects, linked the other way), under ASan+UBSan and under TSan. Stops at the first failure.
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh posix-asan      # one workflow preset
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

echo "=== mingw-w64: public headers and the conformance suite compile for Windows ==="
bash scripts/mingw-check.sh

presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(posix posix-static posix-asan posix-tsan)
for preset in "${presets[@]}"; do
  echo "=== workflow ${preset} ==="
  start=$(date +%s)
  cmake --workflow --preset "${preset}"
  echo "=== workflow ${preset} passed in $(( $(date +%s) - start )) s ==="
done
