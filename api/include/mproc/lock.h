/* mproc/lock.h — Lock and RLock: mutual exclusion between processes (Python's
 * multiprocessing.Lock and RLock), robust against a holder that dies.
 *
 * A lock lives in shared memory; pass it to a child with mproc_lock_handle +
 * mproc_process_add_handle, and open it there with mproc_lock_open. Every handle is thread-safe:
 * any thread of any process that opened the lock may use it at the same time.
 *
 * Ownership. A lock is held by the thread that acquired it, and only that thread may release it
 * (MPROC_E_NOT_OWNER otherwise, as Python's RLock and threading.Lock do for an unheld lock).
 * Python's multiprocessing.Lock lets any process release it; mproc does not, because knowing the
 * holder is what makes the next point possible.
 *
 * A holder that dies. When a process (or thread) dies while it holds a lock, the lock is not
 * lost: the next acquire gets it and returns MPROC_E_OWNER_DIED — the caller HOLDS the lock, and
 * what the lock protects may be half-updated. The caller repairs that state, calls
 * mproc_lock_consistent, and uses the lock as before. If it releases the lock without calling
 * mproc_lock_consistent, the lock becomes unusable: every later acquire fails at once with
 * MPROC_E_STATE (never a hang), since nobody vouched for the state. Python's locks deadlock in
 * this situation.
 *
 * RLock: the holding thread may acquire again; the lock is released when every acquire has been
 * matched by a release. Lock: the holder acquiring again is a deadlock, reported (see acquire).
 *
 * The lock inside a Value or an Array (mproc_value_get_lock) is an RLock and is used through
 * these same functions. */
#ifndef MPROC_LOCK_H
#define MPROC_LOCK_H

#include "mproc/common.h"

MPROC_EXTERN_C_BEGIN

typedef struct mproc_lock mproc_lock;

typedef struct mproc_lock_options {
  size_t size;      /* sizeof(mproc_lock_options); set by the _INIT macro */
  const char* name; /* for messages; NULL: "Lock-N" / "RLock-N". At most 63 bytes; copied */
  int recursive;    /* 1: an RLock; 0: a Lock */
} mproc_lock_options;

#define MPROC_LOCK_OPTIONS_INIT \
  { sizeof(mproc_lock_options), NULL, 0 }

/* Creates an unheld Lock (or RLock with opts->recursive). opts may be NULL (a Lock). The caller
 * owns *out and destroys it with mproc_lock_destroy. Errors: MPROC_E_INVAL (NULL out, name too
 * long, options too long), MPROC_E_OS (no shared memory). Does not block. */
MPROC_API mproc_status mproc_lock_create(const mproc_lock_options* opts, mproc_lock** out);

/* In a receiving process: opens the lock behind a handle it was given (mproc_inherited_handle).
 * Accepts the handle of a Lock, an RLock, or a Value or Array created with a lock (it then opens
 * that object's lock). The handle stays the caller's. The caller owns *out. Errors:
 * MPROC_E_TYPE_MISMATCH (the handle holds another kind of object, or a Value/Array without a
 * lock; the message names it), MPROC_E_OS / MPROC_E_INVAL (not a shared-memory handle). */
MPROC_API mproc_status mproc_lock_open(intptr_t handle, mproc_lock** out);

/* The OS handle to pass to a child with mproc_process_add_handle. For the lock of a Value or
 * Array, it is that object's handle. Owned by the lock: do not close it. Errors: MPROC_E_INVAL. */
MPROC_API mproc_status mproc_lock_handle(const mproc_lock* lock, intptr_t* out);

/* Acquires the lock, waiting up to timeout_ms (MPROC_INFINITE, or 0 to try without waiting).
 * Returns:
 *   MPROC_OK             acquired;
 *   MPROC_E_OWNER_DIED   acquired, but the previous holder died holding it: repair the state it
 *                        protects, then mproc_lock_consistent (see the top of this file);
 *   MPROC_E_TIMEOUT      not acquired within the timeout (timeout 0: it is held; for a Lock this
 *                        includes being held by the calling thread, as Python's acquire(False));
 *   MPROC_E_STATE        not acquired: the calling thread already holds this Lock and would wait
 *                        for itself forever (use an RLock), or the lock is unusable because a
 *                        holder died and it was released without mproc_lock_consistent;
 *   MPROC_E_RANGE        an RLock acquired more than 2^32-1 times by its holder;
 *   MPROC_E_INVAL        NULL lock, timeout below -1.
 * Blocks up to timeout_ms. Thread-safe. The uncontended path costs about what a robust pthread
 * mutex does. */
MPROC_API mproc_status mproc_lock_acquire(mproc_lock* lock, int64_t timeout_ms);

/* Releases one acquire. Errors: MPROC_E_NOT_OWNER (the calling thread does not hold the lock: it
 * is free, or held by another thread or process — the message says which), MPROC_E_INVAL. Never
 * blocks. Releasing a lock acquired with MPROC_E_OWNER_DIED without first calling
 * mproc_lock_consistent leaves it unusable (MPROC_E_STATE for every later acquire). */
MPROC_API mproc_status mproc_lock_release(mproc_lock* lock);

/* An OS handle (POSIX descriptor, Win32 event HANDLE) for mproc_wait or an outside event loop,
 * readable when the lock is free (or its holder died, so an acquire would return
 * MPROC_E_OWNER_DIED). It may be readable when the lock was taken again meanwhile: mproc_wait
 * checks and keeps waiting; a loop calls mproc_wait_handle_rearm (mproc/wait.h) when it is
 * readable, then tries mproc_lock_acquire with timeout 0. A holder's death makes no process signal
 * the handle: mproc_wait looks again every 100 ms while it waits on a lock; an outside loop that
 * must notice it waits on the holder's process sentinel too, or on a timer. Made on the first call
 * and the same handle after; owned by the object behind lock (a Lock, RLock, or the Value or Array
 * it came from), valid until its last handle in this process is destroyed (do not close it). At
 * most 16 wait handles (one per opened object that asked) watch one lock at once. Never blocks.
 * Thread-safe. Errors: MPROC_E_INVAL (NULL argument), MPROC_E_RANGE (16 handles already watch it),
 * MPROC_E_OS. */
MPROC_API mproc_status mproc_lock_wait_handle(mproc_lock* lock, intptr_t* out);

/* Declares the state a lock protects repaired after an acquire returned MPROC_E_OWNER_DIED; the
 * lock then works as before. Call it while holding the lock. Errors: MPROC_E_NOT_OWNER (the
 * caller does not hold it), MPROC_E_STATE (it is not in the owner-died state), MPROC_E_INVAL.
 * Never blocks. */
MPROC_API mproc_status mproc_lock_consistent(mproc_lock* lock);

/* 1 when the lock is an RLock (including the lock of a Value or Array), 0 otherwise or NULL. */
MPROC_API int mproc_lock_is_recursive(const mproc_lock* lock);

/* 1 when the calling thread holds the lock. Never blocks. */
MPROC_API int mproc_lock_held_by_caller(const mproc_lock* lock);

/* How messages name the lock: "Lock 'jobs'", "RLock 'RLock-2'", "the lock of Value 'counter'".
 * Owned by the lock; valid until it is destroyed. "" for NULL. */
MPROC_API const char* mproc_lock_describe(const mproc_lock* lock);

/* Releases this handle (not the lock: a lock held through it stays held, as Python's does when
 * the object is dropped). The shared memory goes away with the last handle in any process. NULL
 * is harmless. Never blocks. */
MPROC_API void mproc_lock_destroy(mproc_lock* lock);

MPROC_EXTERN_C_END

#endif /* MPROC_LOCK_H */
