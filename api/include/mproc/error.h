/* mproc/error.h — status codes and error text.
 *
 * The codes have fixed numbers on every backend, because they travel between processes (a child
 * reports a code to its parent, a worker to its pool). A number is never reused or renumbered;
 * new codes are appended at the end of the list. */
#ifndef MPROC_ERROR_H
#define MPROC_ERROR_H

#include "mproc/common.h"

/* XX(name, number, text). One list generates the enum, mproc_strerror and mproc_error_name. */
#define MPROC_ERROR_MAP(XX)                                                                    \
  XX(OK, 0, "success")                                                                         \
  XX(E_INVAL, -1, "invalid argument")                                                          \
  XX(E_NOMEM, -2, "out of memory")                                                             \
  XX(E_OS, -3, "operating system error")                                                       \
  XX(E_STATE, -4, "operation not valid in the object's current state")                         \
  XX(E_TIMEOUT, -5, "timed out")                                                               \
  XX(E_NOT_REGISTERED, -6, "no function is registered under that name")                        \
  XX(E_EXISTS, -7, "a different function is already registered under that name")              \
  XX(E_NOT_SUPPORTED, -8, "not supported by this backend or start method")                     \
  XX(E_NO_INIT, -9, "the program did not call mproc_init(argc, argv) at the top of main")      \
  XX(E_DECODE, -10, "data failed to decode")                                                   \
  XX(E_ENCODE, -11, "data failed to encode")                                                   \
  XX(E_CHILD, -12, "the child process failed before it could run the function")               \
  XX(E_CLOSED, -13, "the object is closed")                                                    \
  XX(E_EMPTY, -14, "empty")                                                                    \
  XX(E_FULL, -15, "full")                                                                      \
  XX(E_EOF, -16, "end of file: the other end is closed")                                       \
  XX(E_BUFFER_TOO_SHORT, -17, "the buffer is too short for the message")                       \
  XX(E_TOO_BIG, -18, "the message is larger than the configured maximum")                      \
  XX(E_OWNER_DIED, -19, "the previous owner died holding the lock; state may be inconsistent") \
  XX(E_NOT_OWNER, -20, "the calling process or thread does not hold the lock")                 \
  XX(E_BROKEN, -21, "the barrier is broken")                                                   \
  XX(E_RANGE, -22, "value out of range")                                                       \
  XX(E_TYPE_MISMATCH, -23, "the object was opened with a different element type")             \
  XX(E_WORKER_LOST, -24, "the worker process died while it held the task")                     \
  XX(E_REMOTE, -25, "the function failed in the other process")                                \
  XX(E_MESSAGE_LOST, -26, "a message in flight was lost when a process died")                 \
  XX(E_CORRUPT, -27, "a corrupt frame was received and dropped")                              \
  XX(E_INTERNAL, -28, "internal error in mproc")

MPROC_EXTERN_C_BEGIN

typedef enum mproc_error_code {
#define MPROC__ERROR_ENUM(name, num, text) MPROC_##name = (num),
  MPROC_ERROR_MAP(MPROC__ERROR_ENUM)
#undef MPROC__ERROR_ENUM
  MPROC__ERROR_END_ /* not a code; keeps the list comma-safe */
} mproc_error_code;

/* The fixed English text of a status code; "unknown mproc status" for a number not in the list.
 * Static storage; never NULL; thread-safe. */
MPROC_API const char* mproc_strerror(mproc_status status);

/* The code's name without the prefix, e.g. "E_TIMEOUT"; "UNKNOWN" for a number not in the list.
 * Static storage; never NULL; thread-safe. */
MPROC_API const char* mproc_error_name(mproc_status status);

/* The message of the last error on the calling thread, naming the object and what went wrong
 * (e.g. "mproc_process_start: no function is registered under the name 'work'"). A call that
 * succeeds does not clear it. Thread-local storage, valid until the thread's next mproc call;
 * never NULL ("" when no error happened yet). */
MPROC_API const char* mproc_last_error(void);

/* The native error (errno on POSIX, GetLastError on Win32) behind the last MPROC_E_OS on the
 * calling thread, 0 if the last error had none. Thread-local. */
MPROC_API int mproc_last_os_error(void);

MPROC_EXTERN_C_END

#endif /* MPROC_ERROR_H */
