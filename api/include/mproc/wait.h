/* mproc/wait.h — waiting on several objects at once (Python's multiprocessing.connection.wait).
 *
 * It works on OS handles, so it takes anything mproc can give one for, and anything else readable
 * when ready:
 *   - a connection (mproc_connection_fileno): ready when a message is waiting or the other end is
 *     closed for good (the next receive reports MPROC_E_EOF);
 *   - a process sentinel (mproc_process_sentinel): ready once the process has ended;
 *   - any other handle that becomes readable (POSIX) or signalled (Win32) when ready, such as
 *     the handles of objects that document themselves as waitable.
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

MPROC_EXTERN_C_END

#endif /* MPROC_WAIT_H */
