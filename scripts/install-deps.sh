#!/usr/bin/env bash
# Installs the Debian packages mproc needs that are missing (Debian 12). Idempotent: installs
# nothing when everything is there. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config           # toolchain
  patch xz-utils                             # scripts/build-absl.sh: Debian's abseil source package
  libabsl-dev                                # only for -DMPROC_ABSL=system (the default builds its own)
  libcereal-dev                              # the C++ facade's codec
  libboost-dev                               # Asio, for the optional mproc/asio.hpp
  libuv1-dev                                 # the libuv backend
  libserialport-dev                          # serial ports
  libgtest-dev libgmock-dev                  # unit tests and the conformance suite
  libbenchmark-dev                           # bench/
  abigail-tools                              # abidiff: the ABI baseline check
  socat python3-serial                       # serial tests: pty pairs and a foreign peer
  clang libclang-rt-14-dev                   # tests/fuzz: libFuzzer for the frame decoder
  python3                                    # bench/python: the same workloads in CPython
  g++-mingw-w64-x86-64-posix                 # scripts/mingw-check.sh: the suite builds for Windows
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Abseil's StrFormat, position-independent, linked into libmproc (cached: a no-op once built).
build_absl() { bash "$(dirname "$0")/build-absl.sh"; }
if [ ${#missing[@]} -eq 0 ]; then
  build_absl
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root to install ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
build_absl
