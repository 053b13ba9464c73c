#!/usr/bin/env bash
# The main demo: installs what is missing, builds the optimised POSIX preset, runs the examples.
# The first is the seeds' own comparison (seeds 000/004: normal / multithread / multicore, each
# with its exact sum and its time), computed by mproc; then every other seed program.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset posix >/dev/null
cmake --build --preset posix -j2
cat <<'BANNER'

################################################################################################
#  mproc demo. First the seeds' benchmark (seeds 000/004): the sum of i + i^2 + i^3 for i < 10^6,
#  twice: in a row (normal), in two threads (multithread), in two processes (multicore).
#  Exact 128-bit sums, times in seconds. Larger work: build/posix/examples/mproc_example_seed_compute --n 100000000
#  The whole table (10^3 ... 10^9, against CPython and the OS floor): python3 bench/run.py --filter '^seed/'
################################################################################################
BANNER
cmake --build --preset posix --target run-examples
