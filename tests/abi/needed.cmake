# Checks what libmproc.so asks the dynamic loader for: no Abseil library (the subset the library
# uses is linked in statically, scripts/build-absl.sh), so a process that loads libmproc maps no
# libabsl_*.so and a fork has none of their mappings to copy.
#
#   cmake -DLIB=<path to libmproc.so> [-DREADELF=readelf] -P needed.cmake
cmake_minimum_required(VERSION 3.22)
if(NOT LIB OR NOT EXISTS "${LIB}")
  message(FATAL_ERROR "usage: cmake -DLIB=<path to libmproc.so> -P needed.cmake")
endif()
if(NOT READELF)
  find_program(READELF NAMES readelf)
endif()
if(NOT READELF)
  message(FATAL_ERROR "needed.cmake: readelf (binutils) not found; pass -DREADELF=<path>")
endif()
execute_process(COMMAND "${READELF}" -d "${LIB}" OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "needed.cmake: '${READELF} -d ${LIB}' failed (${rc})")
endif()
string(REGEX MATCHALL "\\(NEEDED\\)[^[]*\\[[^]]*\\]" needed "${out}")
if(NOT needed)
  message(FATAL_ERROR "${LIB} lists no NEEDED library at all; readelf output:\n${out}")
endif()
set(offenders "")
foreach(entry IN LISTS needed)
  if(entry MATCHES "\\[(libabsl_[^]]*)\\]")
    list(APPEND offenders "${CMAKE_MATCH_1}")
  endif()
endforeach()
if(offenders)
  list(JOIN offenders " " listing)
  message(FATAL_ERROR "${LIB} needs Abseil's shared libraries (${listing}); with MPROC_ABSL=bundled "
                      "it must link the static subset from scripts/build-absl.sh")
endif()
