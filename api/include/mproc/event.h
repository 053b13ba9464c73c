/* mproc/event.h — Event between processes (Python's multiprocessing.Event): a flag that processes
 * wait on until another sets it.
 *
 * mproc_event_wait returns MPROC_OK when the flag is set — or was set at any moment while the
 * caller waited, even if cleared again at once (so a set-then-clear pulse wakes every waiter, as
 * Python's threading.Event guarantees). Pass it to a child with mproc_event_handle +
 * mproc_process_add_handle; open it there with mproc_event_open. Handles are thread-safe. */
#ifndef MPROC_EVENT_H
#define MPROC_EVENT_H

#include "mproc/common.h"

MPROC_EXTERN_C_BEGIN

typedef struct mproc_event mproc_event;

typedef struct mproc_event_options {
  size_t size;      /* sizeof(mproc_event_options); set by the _INIT macro */
  const char* name; /* for messages; NULL: "Event-N"; at most 63 bytes */
} mproc_event_options;

#define MPROC_EVENT_OPTIONS_INIT \
  { sizeof(mproc_event_options), NULL }

/* Creates an event whose flag is clear. opts may be NULL. The caller owns *out. Errors:
 * MPROC_E_INVAL, MPROC_E_OS. */
MPROC_API mproc_status mproc_event_create(const mproc_event_options* opts, mproc_event** out);

/* In a receiving process: opens the Event behind a handle. Errors: MPROC_E_TYPE_MISMATCH,
 * MPROC_E_OS, MPROC_E_INVAL. */
MPROC_API mproc_status mproc_event_open(intptr_t handle, mproc_event** out);

MPROC_API mproc_status mproc_event_handle(const mproc_event* e, intptr_t* out);

/* Sets the flag and wakes every waiter. Never blocks. */
MPROC_API mproc_status mproc_event_set(mproc_event* e);

/* Clears the flag. Never blocks. */
MPROC_API mproc_status mproc_event_clear(mproc_event* e);

/* An OS handle (POSIX descriptor, Win32 event HANDLE) for mproc_wait or an outside event loop,
 * readable while the event is set. It may be readable after the event was cleared again: mproc_wait
 * checks and keeps waiting; a loop calls mproc_wait_handle_rearm (mproc/wait.h) when it is
 * readable. Made on the first call and the same handle after; owned by e, valid until
 * mproc_event_destroy (do not close it). At most 16 wait handles (one per opened event handle that
 * asked) watch one event at once. Never blocks. Thread-safe. Errors: MPROC_E_INVAL (NULL argument),
 * MPROC_E_RANGE (16 handles already watch it), MPROC_E_OS. */
MPROC_API mproc_status mproc_event_wait_handle(mproc_event* e, intptr_t* out);

/* 1 while the flag is set, 0 otherwise (or NULL). */
MPROC_API int mproc_event_is_set(const mproc_event* e);

/* Waits up to timeout_ms for the flag. MPROC_OK (set, or set while waiting), MPROC_E_TIMEOUT,
 * MPROC_E_INVAL. */
MPROC_API mproc_status mproc_event_wait(mproc_event* e, int64_t timeout_ms);

/* "Event 'ready'". Owned by the event; "" for NULL. */
MPROC_API const char* mproc_event_describe(const mproc_event* e);

/* Releases this handle. NULL is harmless. Never blocks. */
MPROC_API void mproc_event_destroy(mproc_event* e);

MPROC_EXTERN_C_END

#endif /* MPROC_EVENT_H */
