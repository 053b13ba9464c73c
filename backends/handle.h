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

// ---- Handles to a running child -----------------------------------------------------------------
// A child gets handles at start (mproc__start_request.handles); these give it more while it runs:
// a pool hands a task's shared objects to the worker that will run the task. The parent exports
// handles to one child and gets tokens; it sends the tokens by any means (the pool writes them in
// the task); the child imports each token and gets its own handle.
//
//   POSIX: SCM_RIGHTS over the child's control socket, the socketpair it also reports on (it
//          exists under fork, spawn and forkserver). One message carries up to 250 descriptors
//          after a 16-byte header {first token, count, magic}; tokens count 1, 2, 3, ... per
//          child, so they arrive in the order they were given out. The child keeps what arrived
//          before it was asked for (in memory, per process), and receives with MSG_CMSG_CLOEXEC.
//   Win32: DuplicateHandle(GetCurrentProcess(), h, <the child's process HANDLE>, &remote, 0,
//          FALSE, DUPLICATE_SAME_ACCESS) (the record's process handle has PROCESS_DUP_HANDLE);
//          the token is the value of `remote`, which is already the child's handle: import
//          returns it at once (nothing "arrives"). Handles never imported die with the child.
//   libuv: uv_write2 of the handle over the child's IPC pipe; import = uv_accept in arrival order.

struct mproc__child;

// Parent side. Sends duplicates of n handles (the caller keeps its own) to the running child c and
// gives their tokens: *first_token, *first_token + 1, ..., in the order of `handles`. Never waits
// long: when the child has not taken handles sent before and the socket is full, gives up after
// about a second with MPROC_E_TIMEOUT. n == 0: MPROC_OK, nothing sent. Thread-safe (per child, the
// tokens are given out in the order the handles are sent).
// Errors: MPROC_E_CHILD (the child has ended: nobody can receive), MPROC_E_TIMEOUT,
// MPROC_E_OS (an invalid handle; ETOOMANYREFS: the user's limit on descriptors in flight, which
// is RLIMIT_NOFILE, is reached). On failure after more than 250 handles, some may have gone: they
// stay in the child, unimported, until it ends.
mproc_status mproc__handle_export(mproc__child* c, const intptr_t* handles, size_t n,
                                  uint64_t* first_token);

// Child side. The handle the parent exported under `token`, now owned by the caller (close it with
// mproc__handle_close); close-on-exec. Handles arrive in order: this waits up to timeout_ms
// (MPROC_INFINITE, 0 = only what has arrived) for the token, keeping the ones that arrive before
// it for later imports. Each token imports once. Thread-safe.
// Errors: MPROC_E_TIMEOUT (not arrived in time: the message names the token and the wait),
// MPROC_E_STATE (this process was not started by mproc, or the token was imported already),
// MPROC_E_CLOSED (the parent closed the channel: it ended), MPROC_E_OS.
mproc_status mproc__handle_import(uint64_t token, int64_t timeout_ms, intptr_t* out);

#endif  // MPROC_BACKENDS_HANDLE_H
