// backends/sync.h — the sync facet of the backend contract: wait words, robust process-shared
// mutexes and the caller's identity.
//
// Part of the internal contract between the core and one backend (backends/backend.h lists the
// facets; backends/README.md maps every function onto POSIX, Win32 and libuv). Functions return an
// mproc_status and, on failure, have already set the thread's error text (core/status.h). OS
// handles are intptr_t and are tested with mproc__handle_valid, never by sign.
#ifndef MPROC_BACKENDS_SYNC_H
#define MPROC_BACKENDS_SYNC_H

#include <cstddef>
#include <cstdint>

#include "mproc/mproc.h"

struct mproc__shm;  // backends/shm.h

// ---- Per-process sync objects ----------------------------------------------------------------------
// The state of every blocking shared object lives in shared memory, but what a process sleeps on
// may not: a Win32 event or mutex is a per-process HANDLE, which cannot live at an address in a
// mapping and whose value differs between processes. So the core never hands a shared address to
// a kernel: it opens a word or a mutex in its own process (mproc__word_open / mproc__mutex_open)
// and passes the local object it gets. The shared state (the word's value, the mutex's owner) is
// still read and written by the core or the backend in shared memory: the fast paths cost the same.
//
// POSIX: the local object is the shared address itself (futex words are addresses), so opening
// allocates nothing and closing does nothing. Win32: the local object holds the segment and offset,
// and opens lazily, on the first wait, the kernel object that belongs to that word in every process
// (a named semaphore or mutex whose name is derived from the segment's identity and the offset);
// it is closed with the local object. libuv: the OS facet's.
//
// Opening never fails (a backend that needs a kernel object opens it at the first wait and reports
// a failure there) and is cheap enough to be done around a single wait or wake, which is what the
// core does for words it picks at run time (a Condition's waiter slots, a Queue's wait list).

struct mproc__word;   // a wait word opened in this process
struct mproc__mutex;  // a robust mutex opened in this process

// ---- Waiting on a word in shared memory -----------------------------------------------------------
// The building block of every blocking shared object.

// Opens the 32-bit word at `word`, which lies inside this process's mapping of shm. The word's
// value stays in shared memory (the core reads and changes it with atomics).
mproc__word* mproc__word_open(mproc__shm* shm, uint32_t* word);
void mproc__word_close(mproc__word* w);  // NULL harmless

// Blocks while the word == expected, up to timeout_ms. MPROC_OK when woken or the value differed
// (callers re-check: spurious wake-ups happen), MPROC_E_TIMEOUT.
mproc_status mproc__word_wait(mproc__word* w, uint32_t expected, int64_t timeout_ms);
// Wakes up to count waiters of the word in any process (INT32_MAX: all).
void mproc__word_wake(mproc__word* w, int32_t count);

// ---- Robust process-shared mutex --------------------------------------------------------------
// Its state lives in shared memory (mproc__mutex_size() bytes, suitably aligned at 64). When its
// owner dies, the next lock succeeds and returns MPROC_E_OWNER_DIED: the caller repairs the state
// and calls mproc__mutex_consistent, or unlocks without it and the mutex becomes unusable
// (MPROC_E_STATE). A non-recursive mutex locked again by its owner: MPROC_E_TIMEOUT for timeout 0,
// MPROC_E_STATE otherwise (it would deadlock).

size_t mproc__mutex_size();
// Initialises the zeroed state at mem (inside shm), once, in the creating process. recursive: a
// backend may refuse it (MPROC_E_NOT_SUPPORTED); the core never asks for it (it counts an RLock's
// depth itself).
mproc_status mproc__mutex_init(mproc__shm* shm, void* mem, bool recursive);
// Opens the mutex whose state is at mem (inside this process's mapping of shm), in this process.
mproc__mutex* mproc__mutex_open(mproc__shm* shm, void* mem);
// Closes the local object; never unlocks. NULL harmless.
void mproc__mutex_close(mproc__mutex* m);
// MPROC_OK, MPROC_E_OWNER_DIED (acquired), MPROC_E_TIMEOUT, MPROC_E_STATE (not recoverable).
mproc_status mproc__mutex_lock(mproc__mutex* m, int64_t timeout_ms);
// MPROC_OK, MPROC_E_NOT_OWNER.
mproc_status mproc__mutex_unlock(mproc__mutex* m);
// MPROC_OK, MPROC_E_STATE (the mutex is not in the owner-died state, or the caller does not hold
// it).
mproc_status mproc__mutex_consistent(mproc__mutex* m);

// ---- Who is calling -------------------------------------------------------------------------------
// Locks record their holder on every acquire (to answer "does the caller hold it?" for RLock and
// Condition, and to name a holder that died), so this must cost no more than a thread-local read.

// The calling thread's identity: its process id in the high 32 bits and its thread id (unique
// among the machine's live threads: a Linux tid, a Win32 thread id) in the low 32. Never 0. Cached
// per thread, and refreshed in the child of a fork (same thread, new ids).
uint64_t mproc__thread_identity();

// The backend's per-thread cache of that identity (0 until the thread's first call, and again in
// the child of a fork), declared here so the lock paths read it inline: a call per read was a
// fifth of an uncontended acquire + release. initial-exec: a plain thread-pointer-relative load
// (the library's static TLS is tiny, so the space is always there).
#if defined(__GNUC__)
extern __thread uint64_t mproc__identity_cache
    __attribute__((tls_model("initial-exec"), visibility("hidden")));
#else
extern thread_local uint64_t mproc__identity_cache;
#endif
inline uint64_t mproc__thread_identity_inline() {
  uint64_t id = mproc__identity_cache;
  if (__builtin_expect(id != 0, 1)) return id;
  return mproc__thread_identity();
}

#endif  // MPROC_BACKENDS_SYNC_H
