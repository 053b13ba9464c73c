#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in a build directory of its own and runs each for SECONDS
# seconds (default 60) on 1 core: the serial frame decoder (mproc_frame_fuzz) and the C++ facade's
# typed decoders (mproc_codec_fuzz).
#   bash tests/fuzz/run.sh [SECONDS] [BUILD_DIR]      # e.g. bash tests/fuzz/run.sh 3600
# Exits 77 (ctest: skipped) with a message when clang or libFuzzer is missing, 0 when the run
# found nothing, and libFuzzer's non-zero status (with the crashing input saved in BUILD_DIR)
# when it found something. The corpus in BUILD_DIR/corpus grows across runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-60}
build=${2:-$here/../../build/fuzz}

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: SKIPPED: clang++ is not installed (scripts/install-deps.sh installs clang)"
  exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  > "$probe/p.cc"
if ! clang++ -fsanitize=fuzzer,address,undefined "$probe/p.cc" -o "$probe/p" >"$probe/log" 2>&1; then
  echo "fuzz: SKIPPED: clang++ cannot link -fsanitize=fuzzer (libclang-rt-dev missing?):"
  sed 's/^/  /' "$probe/log" | head -5
  exit 77
fi

cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build "$build" >/dev/null
status=0
for target in frame codec; do
  corpus=$build/corpus-$target
  [ "$target" = frame ] && [ -d "$build/corpus" ] && corpus=$build/corpus  # older runs' corpus
  mkdir -p "$corpus" "$build/artifacts"
  echo "fuzz: running the $target decoder for ${seconds} s (corpus: $corpus)"
  # ASan's default of a few GiB per input would be far beyond what any frame or value needs; an
  # allocation over the limit is a failure (a length the input could not describe).
  "$build/mproc_${target}_fuzz" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=1024 \
    -malloc_limit_mb=256 -artifact_prefix="$build/artifacts/$target-" -print_final_stats=1 \
    "$corpus" >"$build/last-run-$target.log" 2>&1 || status=$?
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|peak_rss_mb)|^==|SUMMARY|Test unit written' \
    "$build/last-run-$target.log" || true
  if [ "$status" -ne 0 ]; then
    echo "fuzz: FAILED (exit $status; full log $build/last-run-$target.log); reproduce with:"
    echo "  $build/mproc_${target}_fuzz $build/artifacts/$target-crash-*"
    exit "$status"
  fi
done
echo "fuzz: passed (no crash in ${seconds} s per target)"
