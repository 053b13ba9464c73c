// core/version.cc — the library's version and the backend it was built with.
#include "mproc/common.h"

#ifndef MPROC_BACKEND_NAME
#error "the build defines MPROC_BACKEND_NAME"
#endif

extern "C" {

MPROC_API uint32_t mproc_version(void) { return MPROC_VERSION_HEX; }

#define MPROC__STR2(x) #x
#define MPROC__STR(x) MPROC__STR2(x)
MPROC_API const char* mproc_version_string(void) {
  return MPROC__STR(MPROC_VERSION_MAJOR) "." MPROC__STR(MPROC_VERSION_MINOR) "." MPROC__STR(
      MPROC_VERSION_PATCH);
}

MPROC_API const char* mproc_backend_name(void) { return MPROC_BACKEND_NAME; }

}  // extern "C"
