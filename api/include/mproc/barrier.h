/* mproc/barrier.h — Barrier between processes (Python's multiprocessing.Barrier, i.e.
 * threading.Barrier): `parties` threads wait until all of them have arrived, then all go on.
 *
 * Python's semantics: mproc_barrier_wait gives each thread of a round a different index, 0 to
 * parties - 1, in order of arrival; the last to arrive runs the action (if any) before anyone is
 * released, and the barrier is then ready for the next round. The barrier breaks — every waiter,
 * and every later wait, gets MPROC_E_BROKEN until mproc_barrier_reset — when a wait times out,
 * when the action fails, or on mproc_barrier_abort. mproc_barrier_reset wakes current waiters with
 * MPROC_E_BROKEN and makes the barrier usable again.
 *
 * The action is a function registered by name (mproc/registry.h), as Python pickles it by
 * reference: the barrier stores the name, and whichever process arrives last runs its own
 * registration of it, called with no arguments. Every process must register it (C++: mproc::fn
 * does this before main).
 *
 * Processes that die: a party killed after it arrived (asleep, or still inside the barrier's
 * internal lock) has arrived, and the round still completes when the others arrive (Python's
 * barrier would stay stuck after that round); one killed while ending a round — the last arrival,
 * also while it runs the action — breaks the barrier and wakes that round's waiters with
 * MPROC_E_BROKEN (at the next use of the barrier by any process), instead of leaving it locked.
 *
 * Testing only: when the environment variable MPROC_TEST_BARRIER_PAUSE is "arrived:<path>" (or
 * "last:<path>") in a process, its waits that arrive (or arrive last) stop right there, with the
 * barrier's internal lock held, create the file <path> and sleep until the process is killed. The
 * conformance suite uses it to kill a party at exactly those points. Never set it otherwise.
 *
 * Pass it to a child with mproc_barrier_handle + mproc_process_add_handle; open it there with
 * mproc_barrier_open. Handles are thread-safe.
 *
 * No wait handle (for mproc_wait or an event loop), unlike a Queue, Event, Semaphore or Lock: a
 * barrier has no state in which a wait "would not block" before the call. A party is released
 * only by the arrival of the others after its own mproc_barrier_wait has counted it in, so a loop
 * could not wait for readiness first and then call wait; and counting in from a loop callback
 * would need the wait to be split in two, which Python's Barrier is not. To hear of a round's end
 * from a loop, let the parties set an Event (or put to a Queue) after their wait returns. */
#ifndef MPROC_BARRIER_H
#define MPROC_BARRIER_H

#include "mproc/common.h"

MPROC_EXTERN_C_BEGIN

typedef struct mproc_barrier mproc_barrier;

/* A timeout for mproc_barrier_wait meaning "the barrier's default timeout" (Python's
 * wait(timeout=None)). */
#define MPROC_BARRIER_DEFAULT_TIMEOUT ((int64_t)-2)

typedef struct mproc_barrier_options {
  size_t size;        /* sizeof(mproc_barrier_options); set by the _INIT macro */
  const char* name;   /* for messages; NULL: "Barrier-N"; at most 63 bytes */
  const char* action; /* name of a registered function run by the last to arrive; NULL: none */
  int64_t timeout_ms; /* default timeout of a wait; 0 (the default) or MPROC_INFINITE: none */
} mproc_barrier_options;

#define MPROC_BARRIER_OPTIONS_INIT \
  { sizeof(mproc_barrier_options), NULL, NULL, 0 }

/* Creates a barrier for `parties` threads (1 or more). opts may be NULL. The caller owns *out.
 * Errors: MPROC_E_INVAL (parties 0, bad timeout, name too long), MPROC_E_NOT_REGISTERED (no
 * function is registered under opts->action), MPROC_E_OS. */
MPROC_API mproc_status mproc_barrier_create(uint32_t parties, const mproc_barrier_options* opts,
                                            mproc_barrier** out);

/* In a receiving process: opens the Barrier behind a handle. Errors: MPROC_E_TYPE_MISMATCH,
 * MPROC_E_OS, MPROC_E_INVAL. */
MPROC_API mproc_status mproc_barrier_open(intptr_t handle, mproc_barrier** out);

MPROC_API mproc_status mproc_barrier_handle(const mproc_barrier* b, intptr_t* out);

/* Waits until `parties` threads have called it, up to timeout_ms (or the barrier's default with
 * MPROC_BARRIER_DEFAULT_TIMEOUT). *index (may be NULL) receives the arrival index. Returns
 * MPROC_OK; MPROC_E_BROKEN (the barrier is or became broken or reset: by this wait's own timeout —
 * it then breaks the barrier for everyone, as in Python — another's, abort, reset, or a failed
 * action; for the thread that ran a failing action, the message says how it failed);
 * MPROC_E_INVAL. */
MPROC_API mproc_status mproc_barrier_wait(mproc_barrier* b, int64_t timeout_ms, uint32_t* index);

/* Returns the barrier to its initial state; current waiters get MPROC_E_BROKEN. */
MPROC_API mproc_status mproc_barrier_reset(mproc_barrier* b);

/* Breaks the barrier: current and later waits get MPROC_E_BROKEN until reset. */
MPROC_API mproc_status mproc_barrier_abort(mproc_barrier* b);

/* The number of threads needed to pass (0 for NULL). */
MPROC_API uint32_t mproc_barrier_parties(const mproc_barrier* b);

/* The number of threads waiting in the current round (a snapshot). */
MPROC_API uint32_t mproc_barrier_n_waiting(const mproc_barrier* b);

/* 1 when broken. */
MPROC_API int mproc_barrier_broken(const mproc_barrier* b);

/* "Barrier 'start'". Owned by the barrier; "" for NULL. */
MPROC_API const char* mproc_barrier_describe(const mproc_barrier* b);

/* Releases this handle. NULL is harmless. Never blocks. */
MPROC_API void mproc_barrier_destroy(mproc_barrier* b);

MPROC_EXTERN_C_END

#endif /* MPROC_BARRIER_H */
