// core/watch.h — waitable handles onto shared objects, for mproc_wait and outside event loops.
//
// A queue, an event or a semaphore lives in shared memory and its sleepers sleep on futex words,
// which no poll/epoll/uv/Asio loop can wait on. So a process that asks an object for a wait handle
// gets a keyed notifier (backends/notify.h): an OS handle any process can make ready knowing only
// its 64-bit key. The key goes into the object's watch list (mproc__object_header::watch_keys);
// every change that can make the object ready calls mproc__watch_notify, which costs one load
// while the list is empty and otherwise signals every key (dropping keys whose owner is gone).
//
// The handle is level-approximate: whenever the object is ready it is readable, but it may also
// be readable when the object is not (the change was undone by another process before anyone
// looked). mproc__watch_rearm turns that into an exact answer: it re-checks the object, drains
// the handle when the object is not ready, and re-checks again, so a change after the drain makes
// the handle readable anew and none is lost. It never drains a handle whose object is ready, so
// several threads of a process may wait on one handle.
#ifndef MPROC_CORE_WATCH_H
#define MPROC_CORE_WATCH_H

#include <cstdint>

#include "core/object.h"

// If h is a wait handle an object of this process gave (mproc__object::wait_handle) and still
// owns, sets *ready to whether the object is ready now (as above) and returns true; false for any
// other handle. *recheck (when not NULL) says whether the object may become ready unsignalled
// (mproc__object::wait_handle), so a waiter must call again now and then. Never blocks.
// Thread-safe (the object cannot be deleted meanwhile).
bool mproc__watch_rearm(intptr_t h, bool* ready, bool* recheck = nullptr);

// How often mproc_wait looks again at a handle that needs it.
constexpr int64_t MPROC__WATCH_RECHECK_MS = 100;

#endif  // MPROC_CORE_WATCH_H
