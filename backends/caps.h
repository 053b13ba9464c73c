// backends/caps.h — the caps facet of the backend contract: what the backend can do, read by the
// core before it asks for it.
//
// Part of the internal contract between the core and one backend (backends/backend.h lists the
// facets; backends/README.md maps every function onto POSIX, Win32 and libuv). Functions return an
// mproc_status and, on failure, have already set the thread's error text (core/status.h). OS
// handles are intptr_t and are tested with mproc__handle_valid, never by sign.
#ifndef MPROC_BACKENDS_CAPS_H
#define MPROC_BACKENDS_CAPS_H

#include <cstddef>
#include <cstdint>

#include "mproc/mproc.h"

// ---- Capabilities -----------------------------------------------------------------------------

struct mproc__caps {
  bool fork;             // MPROC_START_FORK (and local callables) available
  bool forkserver;       // MPROC_START_FORKSERVER available
  // Every backend has shared memory and process-shared sync (libuv takes the OS's facets), so
  // those are not capabilities: only what a platform may lack is listed here.
};
const mproc__caps& mproc__backend_caps();
mproc_start_method mproc__default_start_method();

#endif  // MPROC_BACKENDS_CAPS_H
