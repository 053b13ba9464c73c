#!/usr/bin/env bash
# tests/build/without_serial.sh <source dir> <main build dir> <build dir> <absl prefix>
# — ctest's build.without_serial.
#
# Configures the tree with MPROC_WITH_SERIAL=OFF (warnings as errors, library only), builds
# libmproc, checks that it does not link libserialport, and runs serial_off.c against it: the
# serial calls exist (same ABI), ports and enumeration fail with MPROC_E_NOT_SUPPORTED saying why,
# and a pseudo-terminal still opens and carries bytes (the backend's tty facet drives those).
# The build dir is kept between runs, so a second run only checks; the first compiles the library
# once more (with ccache, only core/serial_port.cc misses). Quiet on success.
set -euo pipefail
[[ $# -eq 4 ]] || { echo "usage: $0 <source dir> <main build dir> <build dir> <absl prefix>" >&2; exit 2; }
src=$(cd "$1" && pwd)
main=$(cd "$2" && pwd)
build=$3
absl_prefix=$4
log=$(mktemp "${TMPDIR:-/tmp}/mproc-noserial.XXXXXX")
trap 'rm -f "$log" "$log.exe"' EXIT

# The main build's compilers, flags and launcher, so that (with ccache) only the files the option
# changes are compiled again.
cache() { sed -n "s/^$1:[A-Z]*=//p" "$main/CMakeCache.txt" | head -n1; }
config=(-DMPROC_WITH_SERIAL=OFF -DMPROC_WERROR=ON -DMPROC_BUILD_TESTS=OFF -DMPROC_BUILD_EXAMPLES=OFF
        -DMPROC_BUILD_BENCH=OFF -DMPROC_ABSL_PREFIX="$absl_prefix")
generator=$(cache CMAKE_GENERATOR)
if [[ -n $generator ]]; then config+=(-G "$generator"); fi
for var in CMAKE_BUILD_TYPE CMAKE_C_COMPILER CMAKE_CXX_COMPILER CMAKE_C_FLAGS CMAKE_CXX_FLAGS \
           CMAKE_SHARED_LINKER_FLAGS CMAKE_C_COMPILER_LAUNCHER CMAKE_CXX_COMPILER_LAUNCHER MPROC_ABSL; do
  value=$(cache "$var")
  if [[ -n $value ]]; then config+=("-D$var=$value"); fi
done
cc=$(cache CMAKE_C_COMPILER)
[[ -n $cc ]] || cc=cc

step() {
  local what=$1
  shift
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "build.without_serial FAILED at: $what" >&2
    exit 1
  fi
}

step "configure with MPROC_WITH_SERIAL=OFF" cmake -S "$src" -B "$build" "${config[@]}"
grep -q "built without serial port support" "$log" || {
  cat "$log" >&2
  echo "build.without_serial FAILED: configure did not say that serial support is off" >&2
  exit 1
}
step "build libmproc" cmake --build "$build" --target mproc -j2
lib=$(find "$build" -maxdepth 1 -name 'libmproc.so*' -type f -print -quit)
[[ -n $lib ]] || { echo "build.without_serial FAILED: no libmproc.so in $build" >&2; exit 1; }
if readelf -d "$lib" | grep -q 'NEEDED.*libserialport'; then
  echo "build.without_serial FAILED: $lib still links libserialport" >&2
  exit 1
fi
step "compile serial_off.c" "$cc" -std=c99 -Wall -Wextra -Werror -I"$src/api/include" \
  "$src/tests/build/serial_off.c" -o "$log.exe" -L"$build" -lmproc -Wl,-rpath,"$build"
step "run serial_off" "$log.exe"
