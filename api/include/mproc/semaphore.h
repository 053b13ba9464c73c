/* mproc/semaphore.h — Semaphore and BoundedSemaphore between processes (Python's
 * multiprocessing.Semaphore and BoundedSemaphore).
 *
 * A counter that acquire decrements, waiting while it is 0, and release increments. Unlike a
 * lock, a semaphore has no owner: any thread of any process may release it, and a process that
 * dies after acquiring does not give its unit back (Python's semaphores behave the same way). A
 * BoundedSemaphore refuses a release that would take the value above its initial value
 * (MPROC_E_RANGE, Python's ValueError), which catches releasing more than was acquired.
 *
 * Pass it to a child with mproc_semaphore_handle + mproc_process_add_handle; open it there with
 * mproc_semaphore_open. Handles are thread-safe. */
#ifndef MPROC_SEMAPHORE_H
#define MPROC_SEMAPHORE_H

#include "mproc/common.h"

MPROC_EXTERN_C_BEGIN

typedef struct mproc_semaphore mproc_semaphore;

/* The largest value a semaphore holds (Python's SEM_VALUE_MAX on Linux). */
#define MPROC_SEMAPHORE_VALUE_MAX ((int64_t)2147483647)

typedef struct mproc_semaphore_options {
  size_t size;      /* sizeof(mproc_semaphore_options); set by the _INIT macro */
  const char* name; /* for messages; NULL: "Semaphore-N" / "BoundedSemaphore-N"; at most 63 bytes */
  int bounded;      /* 1: a BoundedSemaphore, bounded by its initial value */
} mproc_semaphore_options;

#define MPROC_SEMAPHORE_OPTIONS_INIT \
  { sizeof(mproc_semaphore_options), NULL, 0 }

/* Creates a semaphore holding `value` (Python's default is 1). opts may be NULL. The caller owns
 * *out. Errors: MPROC_E_RANGE (value below 0 or above MPROC_SEMAPHORE_VALUE_MAX), MPROC_E_INVAL,
 * MPROC_E_OS. Does not block. */
MPROC_API mproc_status mproc_semaphore_create(int64_t value, const mproc_semaphore_options* opts,
                                              mproc_semaphore** out);

/* In a receiving process: opens the Semaphore or BoundedSemaphore behind a handle (see
 * mproc_semaphore_is_bounded). Errors: MPROC_E_TYPE_MISMATCH (another kind of object),
 * MPROC_E_OS, MPROC_E_INVAL. */
MPROC_API mproc_status mproc_semaphore_open(intptr_t handle, mproc_semaphore** out);

MPROC_API mproc_status mproc_semaphore_handle(const mproc_semaphore* s, intptr_t* out);

/* Decrements the value, waiting up to timeout_ms while it is 0. MPROC_OK or MPROC_E_TIMEOUT;
 * MPROC_E_INVAL. Thread-safe; waiters are not served in any particular order. */
MPROC_API mproc_status mproc_semaphore_acquire(mproc_semaphore* s, int64_t timeout_ms);

/* Adds n (1 or more) to the value and wakes up to n waiters. Errors: MPROC_E_RANGE (a bounded
 * semaphore would go above its initial value, or any above MPROC_SEMAPHORE_VALUE_MAX; nothing is
 * released), MPROC_E_INVAL (n < 1). Never blocks. */
MPROC_API mproc_status mproc_semaphore_release(mproc_semaphore* s, int64_t n);

/* An OS handle (POSIX descriptor, Win32 event HANDLE) for mproc_wait or an outside event loop,
 * readable while the value is above 0 (an acquire would not wait). It may be readable after another
 * process took the value back to 0: mproc_wait checks and keeps waiting; a loop calls
 * mproc_wait_handle_rearm (mproc/wait.h) when it is readable, then acquires with timeout 0. Made on
 * the first call and the same handle after; owned by s, valid until mproc_semaphore_destroy (do not
 * close it). At most 16 wait handles (one per opened semaphore handle that asked) watch one
 * semaphore at once. Never blocks. Thread-safe. Errors: MPROC_E_INVAL (NULL argument),
 * MPROC_E_RANGE (16 handles already watch it), MPROC_E_OS. */
MPROC_API mproc_status mproc_semaphore_wait_handle(mproc_semaphore* s, intptr_t* out);

/* The current value (a snapshot: other processes may change it at once). */
MPROC_API mproc_status mproc_semaphore_get_value(const mproc_semaphore* s, int64_t* out);

/* 1 for a BoundedSemaphore. */
MPROC_API int mproc_semaphore_is_bounded(const mproc_semaphore* s);

/* "Semaphore 'slots'". Owned by the semaphore; "" for NULL. */
MPROC_API const char* mproc_semaphore_describe(const mproc_semaphore* s);

/* Releases this handle. NULL is harmless. Never blocks. */
MPROC_API void mproc_semaphore_destroy(mproc_semaphore* s);

MPROC_EXTERN_C_END

#endif /* MPROC_SEMAPHORE_H */
