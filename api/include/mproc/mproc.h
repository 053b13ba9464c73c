/* mproc/mproc.h — the whole C ABI of mproc: Python's multiprocessing for C and C++.
 *
 * Conventions that hold for every function in the parts below:
 * - The return value is an mproc_status: MPROC_OK (0) or a negative MPROC_E_* code. The text of
 *   the last failure on the calling thread is mproc_last_error() and names the object.
 * - Objects are opaque handles from *_create and are released with *_destroy (NULL harmless).
 *   The object acted on comes first, outputs last.
 * - Timeouts are int64_t milliseconds: MPROC_INFINITE (-1) blocks, 0 polls.
 * - Option structs start with `size_t size` and are initialised with their _INIT macro; a caller
 *   built against an older, shorter struct keeps working.
 * - OS handles cross as intptr_t (a POSIX fd or a Win32 HANDLE). */
#ifndef MPROC_MPROC_H
#define MPROC_MPROC_H

#include "mproc/array.h"
#include "mproc/barrier.h"
#include "mproc/common.h"
#include "mproc/condition.h"
#include "mproc/error.h"
#include "mproc/event.h"
#include "mproc/init.h"
#include "mproc/lock.h"
#include "mproc/pipe.h"
#include "mproc/pool.h"
#include "mproc/process.h"
#include "mproc/queue.h"
#include "mproc/registry.h"
#include "mproc/semaphore.h"
#include "mproc/serial.h"
#include "mproc/serial_channel.h"
#include "mproc/types.h"
#include "mproc/value.h"
#include "mproc/wait.h"

#endif /* MPROC_MPROC_H */
