// backends/handle.h — the handle facet of the backend contract: OS handles: duplicate, close, keep
// private.
//
// Part of the internal contract between the core and one backend (backends/backend.h lists the
// facets; backends/README.md maps every function onto POSIX, Win32 and libuv). Functions return an
// mproc_status and, on failure, have already set the thread's error text (core/status.h). OS
// handles are intptr_t and are tested with mproc__handle_valid, never by sign.
#ifndef MPROC_BACKENDS_HANDLE_H
#define MPROC_BACKENDS_HANDLE_H

#include <cstddef>
#include <cstdint>

#include "mproc/mproc.h"

// ---- Handles ------------------------------------------------------------------------------------
// What no valid handle is: the core stores it in a closed slot. POSIX: -1; Win32: both 0 and -1
// (INVALID_HANDLE_VALUE, which is also GetCurrentProcess()) are invalid, so the core never tests a
// handle's sign or compares it with a constant: it asks mproc__handle_valid.
constexpr intptr_t MPROC__NO_HANDLE = -1;

// True when h may name an open handle (it says nothing of whether it is still open).
bool mproc__handle_valid(intptr_t h);

// Duplicates a handle (close-on-exec); MPROC_E_OS naming `what` on failure.
mproc_status mproc__handle_dup(intptr_t handle, const char* what, intptr_t* out);
void mproc__handle_close(intptr_t handle);

// Takes an exclusive advisory lock on an open port (flock LOCK_EX | LOCK_NB, like pyserial's
// exclusive=True): MPROC_E_STATE naming the port when another open file holds it. Win32 opens
// ports exclusively anyway and returns MPROC_OK.
mproc_status mproc__handle_lock_exclusive(intptr_t handle, const char* what);
// Keeps a handle out of programs this process execs (POSIX FD_CLOEXEC; Win32: not inheritable).
// libserialport opens ports inheritable; a spawned child must not hold the port (and its lock)
// unless it was passed on purpose.
mproc_status mproc__handle_keep_private(intptr_t handle, const char* what);

#endif  // MPROC_BACKENDS_HANDLE_H
