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

// ---- Keyed notifiers ----------------------------------------------------------------------------
// A notifier that any process can make ready knowing only a 64-bit key, without holding a handle:
// how a shared object (a queue, an event) in shared memory makes the waitable handles of other
// processes ready (core/watch.h). Its owner publishes the key (in the object's watch list); a
// process that changes the object signals every key it finds there. Keys are never 0; the top 32
// bits are the owner's pid (so a sweep can drop the keys of dead processes), the rest is unique
// within the process and random enough that a reused pid does not meet an old key.
//   POSIX: an AF_UNIX datagram socket bound to an abstract address derived from the key (Linux:
//     nothing in the filesystem, freed when the last descriptor closes). Signalling is one
//     non-blocking sendto of one byte from a per-process unbound socket; a full queue (EAGAIN) is
//     already ready; "connection refused" or "no such address" means the owner is gone.
//   Win32: a named manual-reset event `Local\mproc-<key hex>` (CreateEventW); signalling is
//     OpenEventW + SetEvent + CloseHandle, and a name that no longer opens means the owner is gone.
//   libuv: the OS facet's (one of the two above), watched by uv_poll (Unix) or the Win32 wait
//     bridge.

// Creates a keyed notifier, not ready, and its key. Close it with mproc__handle_close (which also
// frees its key). `what` names it in messages. MPROC_E_OS when the OS refuses.
mproc_status mproc__keyed_notifier_create(const char* what, intptr_t* handle, uint64_t* key);
// Makes the notifier with this key ready, from any process or thread; never blocks. Returns false
// when no live notifier has the key (its owner closed it or died), so the caller can forget it.
bool mproc__keyed_notifier_signal(uint64_t key);
// Makes an owned keyed notifier not ready (drains it). Never blocks.
void mproc__keyed_notifier_drain(intptr_t handle);

#endif  // MPROC_BACKENDS_NOTIFY_H
