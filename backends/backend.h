// backends/backend.h — the internal contract between the core and one backend, as facets.
//
// The core (registry, launch records, shared objects, pool scheduling, serial framing, error text)
// is written once and never includes an OS header or sees an OS type. A backend is a folder of
// facet implementations; exactly one backend is compiled into the library (MPROC_BACKEND), and a
// backend may take another's facet file as it is (libuv takes shm, sync and tty from the OS
// backend). Each facet is one small header, documented like a public one:
//
//   facet          header               used by (core)
//   caps           backends/caps.h      self.cc (which start methods exist)
//   process        backends/process.h   process.cc, children.cc, self.cc, pool.cc (workers)
//   shm            backends/shm.h       object.cc (every shared object), queue.cc (growth)
//   sync           backends/sync.h      lock.cc, semaphore.cc, event.cc, condition.cc, barrier.cc,
//                                       queue.cc, pool_ring.cc (wait words and robust mutexes)
//   channel        backends/channel.h   pipe.cc (Connection)
//   notify         backends/notify.h    wait.cc (mproc_wait), pool.cc (result thread), pool_worker.cc
//   handle         backends/handle.h    everything that keeps or passes an OS handle
//   tty            backends/tty.h       serial_port.cc (ptys and adopted handles)
//   system         backends/system.h    pids, cpu count, signal names
//
// backends/README.md maps every function onto its POSIX, Win32 and libuv calls.
//
// Conventions: functions return an mproc_status and, on failure, have already set the thread's
// error text through mproc__set_error/mproc__set_os_error (core/status.h). OS handles are intptr_t,
// tested with mproc__handle_valid (never by sign).
#ifndef MPROC_BACKENDS_BACKEND_H
#define MPROC_BACKENDS_BACKEND_H

#include "backends/caps.h"
#include "backends/process.h"
#include "backends/shm.h"
#include "backends/sync.h"
#include "backends/channel.h"
#include "backends/notify.h"
#include "backends/handle.h"
#include "backends/tty.h"
#include "backends/system.h"

#endif  // MPROC_BACKENDS_BACKEND_H
