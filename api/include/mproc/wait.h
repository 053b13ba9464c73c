/* mproc/wait.h — waiting on several objects at once (Python's multiprocessing.connection.wait).
 *
 * It works on OS handles, so it takes anything mproc can give one for, and anything else readable
 * when ready:
 *   - a connection (mproc_connection_fileno): ready when a message is waiting or the other end is
 *     closed for good (the next receive reports MPROC_E_EOF);
 *   - a process sentinel (mproc_process_sentinel): ready once the process has ended;
 *   - the wait handle of a shared object (mproc_queue_wait_handle: a message to get, or room to
 *     put in a bounded queue; mproc_event_wait_handle: set; mproc_semaphore_wait_handle: value
 *     above 0; mproc_lock_wait_handle: not held; mproc_result_wait_handle: the task is done).
 *     Such a handle may turn readable when its object is not ready (another process took the
 *     message first); mproc_wait re-checks the object and reports it only when it is ready at
 *     that moment, else goes on waiting;
 *   - any other handle that becomes readable (POSIX) or signalled (Win32) when ready.
 * Readiness is a moment's truth: another process may take the message before this one receives,
 * so receive with a timeout (or 0) when several processes read one end. */
#ifndef MPROC_WAIT_H
#define MPROC_WAIT_H

#include "mproc/common.h"

MPROC_EXTERN_C_BEGIN

/* Waits up to timeout_ms (MPROC_INFINITE, 0 = just look) until at least one of the count handles
 * is ready, then writes the indices of all that are ready, in ascending order, to ready (room for
 * count entries) and their number to *ready_count. When the timeout passes first: MPROC_OK with
 * *ready_count = 0, like Python's empty list. count 0 with a finite timeout only sleeps.
 * The handles stay owned by the caller. Errors: MPROC_E_INVAL (NULL arrays with count > 0, a
 * handle that is not open — the message names its index — or count 0 with MPROC_INFINITE, which
 * would never return). Thread-safe. */
MPROC_API mproc_status mproc_wait(const intptr_t* handles, size_t count, int64_t timeout_ms,
                                  size_t* ready, size_t* ready_count);

/* For an outside event loop (poll, epoll, libuv, Asio) watching an object's wait handle: call it
 * each time the handle is readable. It says whether the object is ready now (*ready 1: try the
 * operation, e.g. mproc_queue_get with timeout 0, which may still find another process was
 * quicker) or not (*ready 0: the handle was drained and turns readable at the next change that can
 * make the object ready, so wait for it again). A handle whose object is ready is left readable,
 * so a level-triggered loop calls again until the operation has taken what was ready; several
 * threads may wait on one handle. Never blocks. Thread-safe. Errors: MPROC_E_INVAL (ready is NULL,
 * or the handle is not the wait handle of an object open in this process). */
MPROC_API mproc_status mproc_wait_handle_rearm(intptr_t handle, int* ready);

MPROC_EXTERN_C_END

#endif /* MPROC_WAIT_H */
