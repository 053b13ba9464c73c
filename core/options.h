// core/options.h — reading a caller's sized option struct (its first field is its size).
//
// A caller built against an older, shorter struct passes a smaller size: the missing fields take
// zero, which every option struct defines as its default. A caller built against a newer, longer struct passes a larger size: that
// is accepted only when every byte we do not know is zero, because a non-zero field we would
// ignore means the caller asked for something this library cannot do.
#ifndef MPROC_CORE_OPTIONS_H
#define MPROC_CORE_OPTIONS_H

#include <cstddef>
#include <cstring>

#include "core/status.h"

template <typename T>
mproc_status mproc__read_options(const char* where, const T* given, T* out) {
  std::memset(static_cast<void*>(out), 0, sizeof(T));
  out->size = sizeof(T);
  if (given == nullptr) return MPROC_OK;
  size_t size = given->size;
  if (size < sizeof(size_t)) {
    return mproc__failf(MPROC_E_INVAL, "%s: option struct size %u is too small (use the _INIT macro)",
                        where, size);
  }
  if (size > sizeof(T)) {
    const unsigned char* tail = reinterpret_cast<const unsigned char*>(given) + sizeof(T);
    for (size_t i = 0; i < size - sizeof(T); ++i) {
      if (tail[i] != 0) {
        return mproc__failf(MPROC_E_INVAL,
                            "%s: option struct is %u bytes and sets fields this library (%u bytes) "
                            "does not know; upgrade libmproc",
                            where, size, sizeof(T));
      }
    }
    size = sizeof(T);
  }
  std::memset(static_cast<void*>(out), 0, sizeof(T));
  std::memcpy(static_cast<void*>(out), given, size);
  out->size = sizeof(T);
  return MPROC_OK;
}

#endif  // MPROC_CORE_OPTIONS_H
