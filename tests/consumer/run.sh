#!/usr/bin/env bash
# tests/consumer/run.sh <build dir> <consumer source dir> — ctest's install.consumer_project.
#
# Proves the installed package is usable the two ways a user uses it:
#   1. `cmake --install <build dir> --prefix <temp>`;
#   2. CMake: configures and builds <consumer source dir> (find_package(mproc), mproc::mproc) with
#      CMAKE_PREFIX_PATH=<temp> and runs it: a C++ program that spawns a child (which must find
#      the installed libmproc again, through the RUNPATH CMake gives the consumer);
#   3. pkg-config: compiles consumer.c with `pkg-config --cflags --libs mproc` from
#      <temp>/lib*/pkgconfig and runs it with LD_LIBRARY_PATH=<libdir>.
# A static build (MPROC_BUILD_SHARED=OFF) installs libmproc.a only: then step 2 checks that the
# package's mproc::mproc is a static library, and step 3 links with `pkg-config --static` (what
# mproc.pc's Libs.private and Requires.private add is exactly what a C program lacks: the C++
# runtime, threads, libserialport) and checks that the program needs no libmproc.so.
# The consumer uses the main build's generator, compilers and flags (so a sanitizer build links).
# Quiet on success; a failing step prints its output. The temp dir is always removed.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 <build dir> <consumer source dir>" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mproc-consumer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP  # so that the EXIT trap runs on ctest's timeout too
prefix=$tmp/prefix
log=$tmp/step.log

# Runs a step with its output in $log; on failure prints it and stops.
step() {
  local what=$1
  shift
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "install.consumer_project FAILED at: $what" >&2
    echo "  command: $*" >&2
    exit 1
  fi
}

# A value from the main build's cache ("" when unset).
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt" | head -n1; }
[[ -f $build/CMakeCache.txt ]] || { echo "$build is not a CMake build tree" >&2; exit 1; }
cmake_cmd=$(cache CMAKE_COMMAND)
[[ -x $cmake_cmd ]] || cmake_cmd=cmake
werror=OFF
case $(cache MPROC_WERROR) in ON | on | TRUE | true | 1 | YES | yes) werror=ON ;; esac

# ---- 1. install --------------------------------------------------------------------------------
step "cmake --install" "$cmake_cmd" --install "$build" --prefix "$prefix"
[[ -f $prefix/include/mproc/mproc.h && -f $prefix/include/mproc/mproc.hpp ]] || {
  echo "install.consumer_project FAILED: headers missing under $prefix/include/mproc" >&2
  exit 1
}

static=0
if [[ -z $(find "$prefix" -name 'libmproc.so*' -print -quit) ]]; then
  [[ -n $(find "$prefix" -name 'libmproc.a' -print -quit) ]] || {
    echo "install.consumer_project FAILED: neither libmproc.so nor libmproc.a under $prefix" >&2
    exit 1
  }
  static=1
fi

# ---- 2. CMake consumer -------------------------------------------------------------------------
config=(-S "$src" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$prefix"
        -DMPROC_CONSUMER_WERROR="$werror" -DCMAKE_BUILD_TYPE="$(cache CMAKE_BUILD_TYPE)")
generator=$(cache CMAKE_GENERATOR)
if [[ -n $generator ]]; then config+=(-G "$generator"); fi
for var in CMAKE_CXX_COMPILER CMAKE_CXX_FLAGS CMAKE_EXE_LINKER_FLAGS; do
  value=$(cache "$var")
  if [[ -n $value ]]; then config+=("-D$var=$value"); fi
done
step "configure the consumer project" "$cmake_cmd" "${config[@]}"
expected_type=SHARED_LIBRARY
if ((static)); then expected_type=STATIC_LIBRARY; fi
grep -q "mproc::mproc is a $expected_type" "$log" || {
  cat "$log" >&2
  echo "install.consumer_project FAILED: the package's mproc::mproc is not a $expected_type" >&2
  exit 1
}
step "build the consumer project" "$cmake_cmd" --build "$tmp/build" -j2
step "run the C++ consumer" "$tmp/build/mproc_consumer"

# ---- 3. pkg-config + C -------------------------------------------------------------------------
pc=$(find "$prefix" -name mproc.pc -path '*/pkgconfig/*' -print -quit)
[[ -n $pc ]] || { echo "install.consumer_project FAILED: no mproc.pc under $prefix" >&2; exit 1; }
pcdir=$(dirname "$pc")
libdir=$(dirname "$pcdir")
# cmake/mproc.pc.in records the prefix chosen at configure time, which `cmake --install
# --prefix` cannot change: point pkg-config at where the files really are.
pkgconf() { PKG_CONFIG_PATH=$pcdir pkg-config --define-variable=prefix="$prefix" "$@" mproc; }
step "pkg-config mproc" pkgconf --exists --print-errors
read -r -a cflags <<<"$(pkgconf --cflags)"
if ((static)); then
  read -r -a libs <<<"$(pkgconf --static --libs)"
else
  read -r -a libs <<<"$(pkgconf --libs)"
fi
cc=$(cache CMAKE_C_COMPILER)
[[ -n $cc ]] || cc=cc
read -r -a c_flags <<<"$(cache CMAKE_C_FLAGS) $(cache CMAKE_EXE_LINKER_FLAGS)"
werror_flag=()
if [[ $werror == ON ]]; then werror_flag=(-Werror); fi
step "compile + link consumer.c through pkg-config" \
  "$cc" -std=c99 -Wall -Wextra -Wpedantic "${werror_flag[@]}" "${c_flags[@]}" "${cflags[@]}" \
  "$src/consumer.c" -o "$tmp/c_consumer" "${libs[@]}"
if ((static)) && readelf -d "$tmp/c_consumer" 2>/dev/null | grep -q 'NEEDED.*libmproc'; then
  echo "install.consumer_project FAILED: the static C consumer still needs a shared libmproc" >&2
  exit 1
fi
step "run the C consumer" env LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  "$tmp/c_consumer"
grep -q '^mproc [0-9]' "$log" || {
  cat "$log" >&2
  echo "install.consumer_project FAILED: the C consumer printed no version" >&2
  exit 1
}
