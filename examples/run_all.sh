#!/usr/bin/env bash
# Runs the given example programs in order, each under a header line, and fails if any fails.
#   examples/run_all.sh build/examples/mproc_example_parent_child_pid ...
# (`cmake --build <build> --target run-examples` passes them all, in order.)
# MPROC_START_METHOD=fork|spawn|forkserver in the environment is passed on as --start-method.
set -u
if [ $# -eq 0 ]; then
  echo "usage: $0 EXAMPLE_PROGRAM..." >&2
  exit 2
fi
args=()
if [ -n "${MPROC_START_METHOD:-}" ]; then
  args=(--start-method "$MPROC_START_METHOD")
fi
failed=()
for program in "$@"; do
  name=$(basename "$program")
  echo "==== ${name#mproc_example_} (${name}${args[*]:+ ${args[*]}}) ===="
  # A hung example must not hang the demo.
  if ! timeout 120 "$program" "${args[@]}"; then
    failed+=("$name")
  fi
  echo
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "all ${#} examples ran"
