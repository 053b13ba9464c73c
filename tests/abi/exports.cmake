# Checks the shape of libmproc's dynamic symbol table:
#   - every defined dynamic symbol is part of the C ABI (mproc_*), except the version-script node
#     MPROC_1, which binutils lists as an absolute ('A') symbol;
#   - no internal mproc__* symbol leaks (the version script's mproc_* glob would let one through
#     if it lost its hidden visibility);
#   - the SONAME is libmproc.so.1 (SOVERSION = API major).
#
#   cmake -DLIB=<path to libmproc.so> [-DNM=nm] [-DREADELF=readelf] -P exports.cmake
#
# Quiet on success; on failure it lists every offender.
cmake_minimum_required(VERSION 3.22)

set(expected_soname "libmproc.so.1")

if(NOT LIB)
  message(FATAL_ERROR "usage: cmake -DLIB=<path to libmproc.so> -P exports.cmake")
endif()
if(NOT EXISTS "${LIB}")
  message(FATAL_ERROR "exports.cmake: no library at '${LIB}'")
endif()

if(NOT NM)
  find_program(NM NAMES nm)
endif()
if(NOT NM)
  message(FATAL_ERROR "exports.cmake: nm (binutils) not found; pass -DNM=<path>")
endif()

execute_process(COMMAND "${NM}" -D --defined-only "${LIB}"
                OUTPUT_VARIABLE nm_out ERROR_VARIABLE nm_err RESULT_VARIABLE nm_rc)
if(NOT nm_rc EQUAL 0)
  message(FATAL_ERROR "exports.cmake: '${NM} -D --defined-only ${LIB}' failed (${nm_rc}):\n${nm_err}")
endif()

# nm lines look like "0000000000009770 T mproc_init@@MPROC_1"; ';' in a line would split it
# into list items, so neutralise it first (no valid symbol of ours contains one).
string(REPLACE ";" "\\;" nm_out "${nm_out}")
string(REPLACE "\n" ";" nm_lines "${nm_out}")

set(offenders "")
set(exported 0)
foreach(line IN LISTS nm_lines)
  if(line STREQUAL "")
    continue()
  endif()
  if(NOT line MATCHES "^[0-9a-fA-F]* *([A-Za-z?]) (.+)$")
    list(APPEND offenders "unparsed nm line: ${line}")
    continue()
  endif()
  set(type "${CMAKE_MATCH_1}")
  set(sym "${CMAKE_MATCH_2}")
  # Drop the symbol version (@MPROC_1 or @@MPROC_1): the name is what a caller binds to.
  string(REGEX REPLACE "@.*$" "" name "${sym}")

  if(name STREQUAL "MPROC_1" AND type STREQUAL "A")
    continue()  # the version node itself
  endif()
  if(name MATCHES "^mproc__")
    list(APPEND offenders "${type} ${sym}    (internal mproc__ symbol)")
  elseif(name MATCHES "^mproc_")
    math(EXPR exported "${exported} + 1")
  else()
    list(APPEND offenders "${type} ${sym}")
  endif()
endforeach()

if(offenders)
  list(LENGTH offenders n)
  list(JOIN offenders "\n  " listing)
  message(FATAL_ERROR
          "${LIB} exports ${n} symbol(s) outside the C ABI (only mproc_* may leave the library; "
          "check hidden visibility and cmake/mproc.map):\n  ${listing}")
endif()
# An empty table means the version script or MPROC_API broke, not that all is well.
if(exported EQUAL 0)
  message(FATAL_ERROR "${LIB} exports no mproc_* symbol at all")
endif()

# ---- SONAME --------------------------------------------------------------------------------
if(NOT READELF)
  find_program(READELF NAMES readelf)
endif()
if(READELF)
  execute_process(COMMAND "${READELF}" -d "${LIB}"
                  OUTPUT_VARIABLE dyn_out ERROR_VARIABLE dyn_err RESULT_VARIABLE dyn_rc)
  set(soname_regex "\\(SONAME\\)[^[]*\\[([^]]*)\\]")
else()
  find_program(OBJDUMP NAMES objdump)
  if(NOT OBJDUMP)
    message(FATAL_ERROR "exports.cmake: neither readelf nor objdump found")
  endif()
  execute_process(COMMAND "${OBJDUMP}" -p "${LIB}"
                  OUTPUT_VARIABLE dyn_out ERROR_VARIABLE dyn_err RESULT_VARIABLE dyn_rc)
  set(soname_regex "SONAME[ \t]+([^ \t\n]+)")
endif()
if(NOT dyn_rc EQUAL 0)
  message(FATAL_ERROR "exports.cmake: reading the dynamic section of ${LIB} failed:\n${dyn_err}")
endif()
if(NOT dyn_out MATCHES "${soname_regex}")
  message(FATAL_ERROR "${LIB} has no SONAME (expected ${expected_soname})")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL expected_soname)
  message(FATAL_ERROR "${LIB} has SONAME ${CMAKE_MATCH_1}, expected ${expected_soname}")
endif()
