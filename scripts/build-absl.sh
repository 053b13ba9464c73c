#!/usr/bin/env bash
# scripts/build-absl.sh [prefix] — builds the part of Abseil libmproc uses (StrFormat and what it
# needs: 9 small libraries) from Debian's own `abseil` source package, position-independent, into
# a prefix that CMakeLists.txt links statically (MPROC_ABSL=bundled, the default).
#
# Why: Debian ships Abseil as ~80 shared objects and as static archives built without -fPIC. Linked
# dynamically, str_format alone put six libabsl_*.so into every process that loads libmproc (more
# mappings for every fork to copy, more objects for every spawned child's loader); the static
# archives cannot go into a shared object at all. Built here with -fPIC, the subset links into
# libmproc.so and leaves no Abseil library to load.
#
# Result (default prefix: <repo>/build/_deps/absl-pic):
#   include/absl/...          the headers, with the inline namespace renamed <Debian's name>_mproc so
#                             that these symbols can never meet another Abseil's in a program that
#                             links libmproc.a beside its own Abseil
#   lib/libmproc_absl.a       the subset in one archive (order-free for the linker)
#   objects/<lib>/*.o         the same objects, for bundling into libmproc.a
#   objects.txt               their paths, one per line
#   stamp                     what was built; a second run with the same inputs does nothing
#
# Sources, in this order: $MPROC_ABSL_SOURCE (an unpacked tree or an .orig.tar.gz), an earlier
# download in the cache, else `apt-get source --download-only abseil` from the Debian mirror this
# machine already uses (a private source list: /etc/apt is not touched; the Debian patches are
# applied as dpkg-source would). Needs cmake, ninja or make, a C++17 compiler, ar, patch, xz.
#   MPROC_DEPS_CACHE   where downloads and builds are kept (default <repo>/build/_deps)
#   CXX                the compiler (default c++); ccache is used when installed
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${MPROC_DEPS_CACHE:-$repo/build/_deps}
prefix=${1:-$cache/absl-pic}
mkdir -p "$cache" "$(dirname "$prefix")"
cache=$(cd "$cache" && pwd)
prefix=$(cd "$(dirname "$prefix")" && pwd)/$(basename "$prefix")  # objects.txt lists absolute paths

say() { echo "build-absl: $*"; }
die() {
  echo "build-absl: $*" >&2
  exit 1
}

# Two builds configuring at once (posix and posix-asan) share the cache: one at a time.
exec 9>"$cache/.build-absl.lock"
flock 9

# ---- 1. the source --------------------------------------------------------------------------------
# Fetches the Debian source package into $cache/abseil-src (once).
fetch_debian_source() {
  local dl=$cache/abseil-src
  if compgen -G "$dl/abseil_*.orig.tar.*" >/dev/null && compgen -G "$dl/abseil_*.debian.tar.*" >/dev/null; then
    return 0
  fi
  command -v apt-get >/dev/null || die "no apt-get; set MPROC_ABSL_SOURCE to an Abseil source tree"
  local codename mirror
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [[ -n $codename ]] || die "cannot tell the Debian release from /etc/os-release"
  # The first Debian mirror this machine's apt already uses (deb822 or one-line format).
  mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources \
             2>/dev/null | grep -v -- '-security' | head -n1 || true)
  if [[ -z $mirror ]]; then
    mirror=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\).*/\2/p' \
               /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
             grep -v -- '-security' | head -n1 || true)
  fi
  [[ -n $mirror ]] || die "no Debian mirror found in /etc/apt; set MPROC_ABSL_SOURCE"
  local apt=$cache/apt
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" "$dl"
  echo "deb-src $mirror $codename main" >"$apt/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/parts"
              -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
              -o "APT::Sandbox::User=$(id -un)" -o Debug::NoLocking=1)
  say "downloading Debian's abseil source package from $mirror ($codename)"
  apt-get "${opts[@]}" -qq update || die "apt-get update of the deb-src index failed"
  (cd "$dl" && apt-get "${opts[@]}" -qq source --download-only abseil) ||
    die "apt-get source abseil failed"
}

# Unpacks orig + debian tarballs in $cache/abseil-src into $1 and applies debian/patches/series.
unpack_debian_source() {
  local dl=$cache/abseil-src dest=$1 orig deb
  orig=$(compgen -G "$dl/abseil_*.orig.tar.*" | sort | tail -n1)
  deb=$(compgen -G "$dl/abseil_*.debian.tar.*" | sort | tail -n1)
  rm -rf "$dest" "$dest.tmp"
  mkdir -p "$dest.tmp"
  tar xf "$orig" -C "$dest.tmp" --strip-components=1
  tar xf "$deb" -C "$dest.tmp"
  if [[ -f $dest.tmp/debian/patches/series ]]; then
    local p
    while read -r p _; do
      [[ -z $p || $p == \#* ]] && continue
      patch -s -p1 -d "$dest.tmp" <"$dest.tmp/debian/patches/$p" || die "Debian patch $p failed"
    done <"$dest.tmp/debian/patches/series"
  fi
  mv "$dest.tmp" "$dest"
}

src=""
version=""
if [[ -n ${MPROC_ABSL_SOURCE:-} ]]; then
  if [[ -d $MPROC_ABSL_SOURCE ]]; then
    src=$(cd "$MPROC_ABSL_SOURCE" && pwd)
  elif [[ -f $MPROC_ABSL_SOURCE ]]; then
    src=$cache/abseil-local
    if [[ ! -f $src/.from || $(cat "$src/.from") != "$MPROC_ABSL_SOURCE" ]]; then
      rm -rf "$src" && mkdir -p "$src"
      tar xf "$MPROC_ABSL_SOURCE" -C "$src" --strip-components=1
      echo "$MPROC_ABSL_SOURCE" >"$src/.from"
    fi
  else
    die "MPROC_ABSL_SOURCE=$MPROC_ABSL_SOURCE is neither a directory nor a tarball"
  fi
  version=local-$(basename "$MPROC_ABSL_SOURCE")
else
  fetch_debian_source
  dsc=$(compgen -G "$cache/abseil-src/abseil_*.dsc" | sort | tail -n1 || true)
  version=$(basename "${dsc:-abseil_unknown.dsc}" .dsc)
  src=$cache/abseil-$version
  [[ -f $src/CMakeLists.txt ]] || unpack_debian_source "$src"
fi
[[ -f $src/absl/base/options.h ]] || die "$src is not an Abseil source tree"

# ---- 2. up to date? ---------------------------------------------------------------------------------
cxx=${CXX:-c++}
command -v "$cxx" >/dev/null || die "no C++ compiler '$cxx'"
inputs="version=$version
cxx=$("$cxx" --version | head -n1)
script=$(cat "${BASH_SOURCE[0]}" "$repo/scripts/absl/CMakeLists.txt" "$repo/scripts/absl/probe.cc" |
         cksum)"
if [[ -f $prefix/stamp && $(cat "$prefix/stamp") == "$inputs" && -f $prefix/lib/libmproc_absl.a ]]; then
  exit 0
fi

# ---- 3. build the subset ----------------------------------------------------------------------------
say "building Abseil ($version) str_format with -fPIC into $prefix"
work=$cache/absl-build
rm -rf "$work" "$prefix.tmp"
mkdir -p "$work"
# Abseil's own targets include options.h from the source tree, so the rename is made there
# (idempotent), and the headers copied below carry it.
sed -i -e '/^#define ABSL_OPTION_INLINE_NAMESPACE_NAME .*_mproc$/b' \
  -e 's/^\(#define ABSL_OPTION_INLINE_NAMESPACE_NAME [A-Za-z0-9_]*\)$/\1_mproc/' \
  "$src/absl/base/options.h"
grep -q '^#define ABSL_OPTION_INLINE_NAMESPACE_NAME [A-Za-z0-9_]*_mproc$' "$src/absl/base/options.h" ||
  die "could not rename Abseil's inline namespace in $src/absl/base/options.h"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$repo/scripts/absl" -B "$work" "${generator[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" -DABSL_SOURCE_DIR="$src" >"$work.log" 2>&1 ||
  { cat "$work.log" >&2; die "configuring the Abseil subset failed"; }
cmake --build "$work" --target absl_probe -j "${MPROC_JOBS:-2}" >>"$work.log" 2>&1 ||
  { tail -n 50 "$work.log" >&2; die "building the Abseil subset failed"; }
"$work/absl_probe" || die "the Abseil probe did not format correctly"

mkdir -p "$prefix.tmp/lib" "$prefix.tmp/objects" "$prefix.tmp/include"
mapfile -t archives < <(find "$work/abseil" -name 'libabsl_*.a' | sort)
[[ ${#archives[@]} -gt 0 ]] || die "the build left no libabsl_*.a"
# One archive: the linker rescans a single archive until nothing new resolves, so order is moot.
{
  echo "CREATE $prefix.tmp/lib/libmproc_absl.a"
  for a in "${archives[@]}"; do echo "ADDLIB $a"; done
  echo "SAVE"
  echo "END"
} | ar -M
# The objects one by one (names repeat between libraries, hence a folder per library).
: >"$prefix.tmp/objects.txt"
for a in "${archives[@]}"; do
  name=$(basename "$a" .a)
  mkdir -p "$prefix.tmp/objects/$name"
  [[ -z $(ar t "$a" | sort | uniq -d) ]] || die "$a holds two members of one name"
  (cd "$prefix.tmp/objects/$name" && ar x "$a")
  for o in $(ar t "$a"); do echo "$prefix/objects/$name/$o" >>"$prefix.tmp/objects.txt"; done
done
(cd "$src" && find absl -name '*.h' -o -name '*.inc') | while read -r h; do
  mkdir -p "$prefix.tmp/include/$(dirname "$h")"
  cp "$src/$h" "$prefix.tmp/include/$h"
done
printf '%s\n' "${archives[@]##*/}" >"$prefix.tmp/libraries.txt"
echo "$inputs" >"$prefix.tmp/stamp"
rm -rf "$prefix"
mv "$prefix.tmp" "$prefix"
say "done: $(wc -l <"$prefix/libraries.txt") libraries, $(wc -l <"$prefix/objects.txt") objects"
