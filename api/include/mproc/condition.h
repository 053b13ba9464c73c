/* mproc/condition.h — Condition between processes (Python's multiprocessing.Condition): wait
 * until another process notifies, with a Lock or RLock protecting the state being waited for.
 *
 *   lock held:  while (!ready) mproc_condition_wait(c, timeout);   (or mproc_condition_wait_for)
 *   elsewhere:  acquire; ready = 1; mproc_condition_notify(c, 1); release
 *
 * Exactly Python's semantics: wait and notify need the caller to hold the lock (MPROC_E_NOT_OWNER
 * otherwise); wait releases it — every level of an RLock — while it sleeps and takes it back
 * before returning, even on timeout; notify(n) wakes the n threads that have waited longest, and
 * never one that started waiting after the notify. There are no spurious wake-ups.
 *
 * The condition and its lock are two objects: a child needs both handles. Pass
 * mproc_condition_handle and mproc_lock_handle of mproc_condition_get_lock, and in the child open
 * the lock (mproc_lock_open), then the condition with it (mproc_condition_open). Handles are
 * thread-safe.
 *
 * A process killed while waiting leaves its place in the queue; the next notify finds the process
 * gone and skips it, so no wake-up is lost on it.
 *
 * No wait handle (for mproc_wait or an event loop), unlike a Queue, Event, Semaphore or Lock: a
 * notify is addressed to the threads inside mproc_condition_wait, which released the lock to
 * wait, and leaves no state behind that a handle could show (notify with no waiter does nothing,
 * as in Python). A watcher outside wait could not be chosen by notify(1) without stealing the
 * wake-up from a real waiter. Wait on what the condition guards instead: an Event, a Queue or a
 * Semaphore, whose wait handles say when their state changed, or the lock's own wait handle
 * (mproc_lock_wait_handle) to learn when it is free. */
#ifndef MPROC_CONDITION_H
#define MPROC_CONDITION_H

#include "mproc/common.h"
#include "mproc/lock.h"

MPROC_EXTERN_C_BEGIN

typedef struct mproc_condition mproc_condition;

typedef struct mproc_condition_options {
  size_t size;          /* sizeof(mproc_condition_options); set by the _INIT macro */
  const char* name;     /* for messages; NULL: "Condition-N"; at most 63 bytes */
  uint32_t max_waiters; /* threads that may wait at once, across processes; 0: 128 */
} mproc_condition_options;

#define MPROC_CONDITION_OPTIONS_INIT \
  { sizeof(mproc_condition_options), NULL, 0 }

/* Creates a condition using `lock` (a Lock or an RLock, or the lock of a Value or Array; the
 * condition keeps its own handle onto it, so the caller may destroy theirs), or, when lock is
 * NULL, a new RLock of its own (Python's default). opts may be NULL. The caller owns *out.
 * Errors: MPROC_E_INVAL, MPROC_E_OS. Does not block. */
MPROC_API mproc_status mproc_condition_create(mproc_lock* lock, const mproc_condition_options* opts,
                                              mproc_condition** out);

/* In a receiving process: opens the condition behind `handle`, using `lock`, which must be the
 * condition's own lock opened from its handle (the condition keeps its own handle onto it).
 * Errors: MPROC_E_TYPE_MISMATCH (not a Condition, or a lock other than the condition's: the
 * message names both), MPROC_E_INVAL (NULL lock), MPROC_E_OS. */
MPROC_API mproc_status mproc_condition_open(intptr_t handle, mproc_lock* lock,
                                            mproc_condition** out);

MPROC_API mproc_status mproc_condition_handle(const mproc_condition* c, intptr_t* out);

/* A new handle onto the condition's lock, owned by the caller (mproc_lock_destroy). */
MPROC_API mproc_status mproc_condition_get_lock(const mproc_condition* c, mproc_lock** out);

/* The lock's acquire and release (mproc_lock_acquire / mproc_lock_release), for convenience. */
MPROC_API mproc_status mproc_condition_acquire(mproc_condition* c, int64_t timeout_ms);
MPROC_API mproc_status mproc_condition_release(mproc_condition* c);

/* Releases the lock, waits up to timeout_ms for a notify, and takes the lock back (waiting as long
 * as that takes, as Python does) before it returns. Returns MPROC_OK (notified), MPROC_E_TIMEOUT
 * (not notified in time; the lock is held again), MPROC_E_OWNER_DIED (notified or not, the lock
 * was taken back from a holder that died: see mproc/lock.h), MPROC_E_NOT_OWNER (the caller does
 * not hold the lock; nothing happened), MPROC_E_FULL (max_waiters threads are waiting already;
 * nothing happened), MPROC_E_STATE (the lock became unusable), MPROC_E_INVAL. */
MPROC_API mproc_status mproc_condition_wait(mproc_condition* c, int64_t timeout_ms);

/* Python's wait_for: returns once predicate(arg) is non-zero (evaluated with the lock held, first
 * before any wait), or when timeout_ms has passed in total. MPROC_OK when the predicate became
 * true, MPROC_E_TIMEOUT when it was still false at the end; other errors as mproc_condition_wait.
 */
MPROC_API mproc_status mproc_condition_wait_for(mproc_condition* c, int (*predicate)(void* arg),
                                                void* arg, int64_t timeout_ms);

/* Wakes up to n of the waiting threads (the longest-waiting first); n = 0 does nothing. The caller
 * must hold the lock: MPROC_E_NOT_OWNER otherwise. MPROC_E_INVAL for n < 0. Never blocks. */
MPROC_API mproc_status mproc_condition_notify(mproc_condition* c, int64_t n);

/* Wakes every waiting thread. The caller must hold the lock. */
MPROC_API mproc_status mproc_condition_notify_all(mproc_condition* c);

/* "Condition 'jobs'". Owned by the condition; "" for NULL. */
MPROC_API const char* mproc_condition_describe(const mproc_condition* c);

/* Releases this handle (and its handle onto the lock). NULL is harmless. Never blocks. */
MPROC_API void mproc_condition_destroy(mproc_condition* c);

MPROC_EXTERN_C_END

#endif /* MPROC_CONDITION_H */
