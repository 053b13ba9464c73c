#!/usr/bin/env bash
# Compiles every public header and every conformance test file with mingw-w64 (syntax only, C++17,
# the suite's warning flags), so a change that stops the suite compiling for Windows fails CI
# before a Win32 backend links. platform_posix.cc is the one file left out: it is the POSIX half
# of tests/conformance/platform.h, and CMake builds it only off Win32 (platform_win32.cc is in).
#   bash scripts/mingw-check.sh          # from anywhere; exits 1 when a file fails
set -euo pipefail
cd "$(dirname "$0")/.."

cxx=x86_64-w64-mingw32-g++-posix  # -posix: std::thread and std::mutex (the win32 variant has none)
if ! command -v "$cxx" >/dev/null; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends g++-mingw-w64-x86-64-posix
fi

# Third-party headers the suite uses, by themselves: -I/usr/include would let glibc's headers win
# over mingw's.
inc=$(mktemp -d)
err=$(mktemp)
trap 'rm -rf "$inc" "$err"' EXIT
for d in gtest gmock cereal; do
  if [ -d "/usr/include/$d" ]; then
    ln -s "/usr/include/$d" "$inc/$d"
  else
    echo "mingw-check: /usr/include/$d is missing (bash scripts/install-deps.sh)" >&2
    exit 1
  fi
done

# MPROC_TEST_PROGRAM_DIR is set by tests/CMakeLists.txt; any path does for a syntax check.
flags=(-fsyntax-only -Wall -Wextra -Wpedantic -Werror -Iapi/include)
cxx_flags=(-std=c++17 -Wconversion -Wshadow -Itests/conformance -isystem "$inc"
           -DMPROC_TEST_PROGRAM_DIR=\"tests\")
bad=0
checked=0
check() {  # check <label> <compiler> <arguments...>
  local label=$1
  shift
  checked=$((checked + 1))
  if ! "$@" 2>"$err"; then
    echo "FAIL $label"
    head -20 "$err"
    bad=$((bad + 1))
  fi
}
for h in api/include/mproc/*.h api/include/mproc/*.hpp; do
  check "C++ header $h" "$cxx" "${flags[@]}" "${cxx_flags[@]}" -x c++ - \
    <<<"#include \"${h#api/include/}\""
done
for h in api/include/mproc/*.h; do  # the C ABI's headers are C99 as well
  check "C header $h" x86_64-w64-mingw32-gcc-posix "${flags[@]}" -std=c99 -x c - \
    <<<"#include \"${h#api/include/}\""
done
for f in tests/conformance/*.cc; do
  [ "$f" = tests/conformance/platform_posix.cc ] && continue
  check "test $f" "$cxx" "${flags[@]}" "${cxx_flags[@]}" "$f"
done
echo "mingw-w64 syntax check: $checked file(s), $bad failure(s)"
[ "$bad" -eq 0 ]
