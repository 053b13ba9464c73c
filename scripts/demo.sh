#!/usr/bin/env bash
# The main demo: installs what is missing, builds the optimised POSIX preset, runs the examples.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset posix >/dev/null
cmake --build --preset posix -j2
cmake --build --preset posix --target run-examples
