// backends/notify.h — the notify facet of the backend contract: notifiers, and waiting on several
// handles at once.
//
// Part of the internal contract between the core and one backend (backends/backend.h lists the
// facets; backends/README.md maps every function onto POSIX, Win32 and libuv). Functions return an
// mproc_status and, on failure, have already set the thread's error text (core/status.h). OS
// handles are intptr_t and are tested with mproc__handle_valid, never by sign.
#ifndef MPROC_BACKENDS_NOTIFY_H
#define MPROC_BACKENDS_NOTIFY_H

#include <cstddef>
#include <cstdint>

#include "mproc/mproc.h"

// ---- Waiting on several handles -----------------------------------------------------------------
// Readiness is the OS's "readable or hung up": a channel with a message or at its end, a process
// sentinel whose process ended, or any handle a later object (a queue) makes readable when ready.

// Waits up to timeout_ms (MPROC_INFINITE, 0 = poll) until at least one of the n handles is ready.
// Sets ready[i] to 1 or 0 and *count to how many are ready: 0 means the timeout passed. n may be
// 0 (then it only sleeps). MPROC_E_INVAL when a handle is not open, naming its index.
mproc_status mproc__handles_wait(const intptr_t* handles, size_t n, int64_t timeout_ms,
                                 const char* what, uint8_t* ready, size_t* count);

// ---- Notifiers ---------------------------------------------------------------------
// A notifier is an OS handle that any process holding it can make ready (readable / signalled) and
// that its owner waits on together with other handles, such as process sentinels: how a pool's
// result thread sleeps until a worker has news or a worker dies, and the handle an outside event
// loop waits on (POSIX eventfd; Win32 manual-reset event; libuv uv_async on the loop thread).

// Creates a notifier, not ready. Close it with mproc__handle_close. `what` names it in messages.
mproc_status mproc__notifier_create(const char* what, intptr_t* out);
// Makes it ready (stays ready until cleared). Safe from any process and thread; never blocks.
void mproc__notifier_signal(intptr_t notifier);
// Makes it not ready. Never blocks.
void mproc__notifier_clear(intptr_t notifier);

// A notifier is waited on with mproc__handles_wait, like any other handle.

#endif  // MPROC_BACKENDS_NOTIFY_H
