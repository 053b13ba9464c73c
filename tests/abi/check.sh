#!/usr/bin/env bash
# tests/abi/check.sh — does libmproc still offer the C ABI recorded in tests/abi/libmproc.abi?
#
# Usage
#   check.sh <libmproc.so> <baseline.abi> <public headers dir>
#       Compare (this is ctest's abi.abidiff_baseline). Quiet, exit 0, when the ABI is unchanged
#       or only grew: functions or variables added, enumerators appended, members appended to a
#       size-prefixed mproc_*_options struct (the library zero-fills a caller's shorter struct).
#       Anything else fails with abidiff's report: a removed function, a changed parameter or
#       return type, a changed public struct layout (a shipped signature never changes: add a
#       _v2), or an abidiff error.
#
#   check.sh --update <libmproc.so> <baseline.abi> <public headers dir>
#       Rewrite the baseline from the library, after showing how it differs from the old one.
#       Commit it together with the change that grew the ABI. From the top of the tree:
#         cmake -S . -B build/abi -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
#         cmake --build build/abi -j2 --target mproc
#         bash tests/abi/check.sh --update build/abi/libmproc.so tests/abi/libmproc.abi api/include
#
# A missing or empty baseline fails and prints the commands above.
#
# Exit status: 0 pass (or baseline written); 1 ABI break, missing baseline or error; 77 skipped
# (libabigail's abidw/abidiff not installed, library without debug info, or a baseline recorded
# on another architecture); tests/CMakeLists.txt declares 77 as ctest's SKIP_RETURN_CODE.
#
# How it works
#   abidw reads the library's DWARF (so the build needs -g: RelWithDebInfo or Debug) and writes
#   the ABI of the exported functions only. Every file under the headers dir is passed with
#   --header-file, so types defined anywhere else are private and become opaque: the layout of
#   struct mproc_process or struct mproc_call (defined in core/) is not ABI. --header-file and not
#   --headers-dir, because libabigail matches a --headers-dir by file *base name*, and
#   core/registry.h would then count as the public mproc/registry.h and put the private
#   struct mproc_call, std::string members and all, into the baseline.
#   Absolute paths of the source tree are stripped so the baseline does not depend on where the
#   tree lives. The library is dumped the same way and the two dumps are compared with abidiff,
#   whose exit status is a bit field: 1 error, 2 usage error, 4 ABI change, 8 incompatible
#   change. In practice bit 8 means a removal: abidiff rates a changed parameter type "4", so a 4
#   passes only when every change summary reads "0 Removed, 0 Changed".
set -euo pipefail

usage() {
  echo "usage: $0 [--update] <libmproc.so> <baseline.abi> <public headers dir>" >&2
  echo "(the comment at the top of $0 explains both modes)" >&2
  exit 1
}

update=0
if [[ ${1:-} == --update ]]; then
  update=1
  shift
fi
[[ $# -eq 3 ]] || usage
lib=$1
baseline=$2
headers=$3

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
how_to_update="From the top of the source tree:
  cmake -S . -B build/abi -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build build/abi -j2 --target mproc
  bash tests/abi/check.sh --update build/abi/libmproc.so tests/abi/libmproc.abi api/include
and commit tests/abi/libmproc.abi."

skip() {
  echo "abi check skipped: $*"
  exit 77
}
fail() {
  echo "abi check FAILED: $*" >&2
  exit 1
}

for tool in abidw abidiff; do
  command -v "$tool" >/dev/null 2>&1 ||
    skip "$tool not found (Debian/Ubuntu: apt-get install abigail-tools)"
done
[[ -f $lib ]] || fail "no library at '$lib'"
[[ -d $headers ]] || fail "no public headers directory at '$headers'"
if command -v readelf >/dev/null 2>&1; then
  readelf -S --wide "$lib" | grep -q '\.debug_info' ||
    skip "$lib has no debug info; abidw needs DWARF (build RelWithDebInfo or Debug)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mproc-abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP  # so that the EXIT trap runs on ctest's timeout too

# The paths the compiler recorded: the headers dir as given, with symlinks resolved in case the
# build saw it that way, and relative to the library's directory (the build dir), which is what
# ccache records when CCACHE_BASEDIR covers the tree (it rewrites -I paths to relative ones).
headers_logical=$(cd "$headers" && pwd -L)
headers_physical=$(cd "$headers" && pwd -P)
headers_relative=""
if command -v realpath >/dev/null 2>&1; then
  headers_relative=$(realpath -s --relative-to="$(dirname "$lib")" "$headers_logical" 2>/dev/null || true)
fi
header_args=()
while IFS= read -r -d '' f; do
  rel=${f#"$headers_logical"/}
  header_args+=(--header-file "$headers_logical/$rel")
  if [[ $headers_physical != "$headers_logical" ]]; then
    header_args+=(--header-file "$headers_physical/$rel")
  fi
  if [[ -n $headers_relative && $headers_relative != /* ]]; then
    header_args+=(--header-file "$headers_relative/$rel")
  fi
done < <(find "$headers_logical" -type f \( -name '*.h' -o -name '*.hpp' \) -print0 | sort -z)
[[ ${#header_args[@]} -gt 0 ]] || fail "no headers under '$headers'"

# The tree's root is two levels above api/include; the library's directory is stripped too, for
# any file generated into the build tree. Longest prefix first.
sed_escape() { printf '%s' "$1" | sed -e 's/[]\/$*.^[]/\\&/g'; }
prefixes=()
lib_dir=$(cd "$(dirname "$lib")" && pwd -L)
lib_dir_physical=$(cd "$(dirname "$lib")" && pwd -P)
root=$(cd "$headers_logical/../.." && pwd -L)
root_physical=$(cd "$headers_logical/../.." && pwd -P)
while IFS= read -r p; do
  [[ -n $p && $p != / ]] && prefixes+=("$p")
done < <(printf '%s\n' "$lib_dir" "$lib_dir_physical" "$root" "$root_physical" | sort -u |
           awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-)
sed_script=""
for p in "${prefixes[@]}"; do
  sed_script+="s/='$(sed_escape "$p")\\//='/g;"
done
# A path recorded relative to the build dir ("../../api/include/..."): the same tree-relative form.
sed_script+="s/='\\(\\.\\.\\/\\)\\{1,\\}/='/g;"

# Dumps the ABI of library $1 into $2 (an absolute path), normalised. Run from the library's
# directory, where abidw finds the headers named relative to it.
dump() {
  if ! (cd "$(dirname "$1")" &&
        abidw "${header_args[@]}" --drop-private-types --exported-interfaces-only \
          --no-corpus-path --no-comp-dir-path --out-file "$2.raw" "$(basename "$1")") \
       >"$tmp/abidw.log" 2>&1; then
    cat "$tmp/abidw.log" >&2
    fail "abidw could not read $1"
  fi
  sed -e "$sed_script" "$2.raw" >"$2"
  rm -f "$2.raw"
}

# Appending members to a size-prefixed option struct is compatible by design (mproc/mproc.h);
# the struct is only ever passed by pointer. A member inserted anywhere else still counts.
cat >"$tmp/appendable.abignore" <<'EOF'
[suppress_type]
  label = size-prefixed option structs may grow at the end
  type_kind = struct
  name_regexp = ^mproc_[a-z0-9_]*_options$
  accessed_through = pointer
  has_data_member_inserted_at = end
EOF

# Prints abidiff's report of $1 → $2; its exit status is abidiff's.
compare() {
  abidiff --suppressions "$tmp/appendable.abignore" "$1" "$2" >"$tmp/report" 2>&1 || return $?
}

# True when a report (exit status 4) shows nothing but additions.
only_additions() {
  local line found=0 n
  while IFS= read -r line; do
    case $line in
      *"changes summary:"*)
        found=1
        [[ $line =~ :\ ([0-9]+)\ Removed ]] || return 1
        n=${BASH_REMATCH[1]}
        ((n == 0)) || return 1
        if [[ $line == *Changed* ]]; then
          [[ $line =~ ,\ ([0-9]+)\ Changed ]] || return 1
          n=${BASH_REMATCH[1]}
          ((n == 0)) || return 1
        fi
        ;;
      *SONAME* | *architecture*) return 1 ;;
    esac
  done <"$1"
  ((found))
}

current="$tmp/current.abi"
dump "$lib" "$current"

baseline_empty=1
if [[ -f $baseline ]] && grep -q '[^[:space:]]' "$baseline"; then
  baseline_empty=0
fi

if ((update)); then
  if ((!baseline_empty)); then
    status=0
    compare "$baseline" "$current" || status=$?
    if ((status == 0)); then
      echo "ABI unchanged."
    else
      echo "Changes against the old baseline (abidiff exit status $status):"
      cat "$tmp/report"
    fi
  fi
  cp "$current" "$baseline"
  echo "Wrote $baseline ($(grep -c '<elf-symbol ' "$baseline") exported symbols)."
  exit 0
fi

if ((baseline_empty)); then
  fail "the ABI baseline $baseline is missing or empty.
$how_to_update"
fi

arch() { sed -n "s/.*<abi-corpus [^>]*architecture='\([^']*\)'.*/\1/p" "$1" | head -n1; }
base_arch=$(arch "$baseline")
cur_arch=$(arch "$current")
if [[ $base_arch != "$cur_arch" ]]; then
  skip "the baseline was recorded on $base_arch, this library is $cur_arch"
fi

status=0
compare "$baseline" "$current" || status=$?
if ((status == 0)); then
  exit 0
fi
if ((status & 3)); then
  cat "$tmp/report" >&2
  fail "abidiff failed (exit status $status) comparing $baseline with $lib"
fi
if ((status == 4)) && only_additions "$tmp/report"; then
  # Still a pass; recording the additions lets a later removal of them be caught.
  echo "abi check: the ABI grew; record it with --update:"
  grep 'changes summary:' "$tmp/report"
  exit 0
fi

{
  cat "$tmp/report"
  echo
  if ((status & 8)); then
    echo "abidiff: incompatible ABI change (exit status $status): something was removed."
  else
    echo "abidiff exit status $status: the ABI changed other than by additions."
  fi
  echo "A shipped mproc_* signature or public struct layout never changes: add a _v2 instead."
  echo "If the change is intended and compatible (reviewed), rewrite the baseline:"
  echo "  bash ${here#"$root"/}/check.sh --update <build>/libmproc.so $baseline $headers"
} >&2
fail "$lib breaks the ABI recorded in $baseline"
