// backends/posix/sync_pthread.cc — see sync_pthread.h.
#include "backends/posix/sync_pthread.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "core/status.h"

namespace mproc_posix {

static_assert(sizeof(pthread_mutex_t) <= kPthreadMutexBytes, "the space the layout gives it");

namespace {

// A century: what a longer timeout waits (the deadline arithmetic cannot overflow).
constexpr int64_t kForeverMs = int64_t{100} * 365 * 24 * 3600 * 1000;

pthread_mutex_t* as_mutex(void* mem) { return static_cast<pthread_mutex_t*>(mem); }

mproc_status lock_result(int r, int64_t timeout_ms) {
  switch (r) {
    case 0:
      return MPROC_OK;
    case EOWNERDEAD:
      return MPROC_E_OWNER_DIED;  // acquired; the caller repairs
    case EBUSY:
    case ETIMEDOUT:
      return MPROC_E_TIMEOUT;
    case EDEADLK:  // the owner again: an error-checking mutex refuses instead of deadlocking
      return timeout_ms == 0 ? MPROC_E_TIMEOUT : MPROC_E_STATE;
    case ENOTRECOVERABLE:
      return mproc__fail(MPROC_E_STATE,
                         "the lock's owner died and the next owner released it without marking "
                         "it consistent: it can never be acquired again");
    default:
      return mproc__fail_os(r, "pthread_mutex_lock of a process-shared robust mutex");
  }
}

}  // namespace

mproc_status pthread_mutex_init_shared(void* mem) {
  pthread_mutexattr_t a;
  int r = ::pthread_mutexattr_init(&a);
  if (r == 0) r = ::pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  if (r == 0) r = ::pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  if (r == 0) r = ::pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  if (r == 0) r = ::pthread_mutex_init(as_mutex(mem), &a);
  ::pthread_mutexattr_destroy(&a);
  if (r != 0) return mproc__fail_os(r, "pthread_mutex_init of a process-shared robust mutex");
  return MPROC_OK;
}

mproc_status pthread_mutex_lock_shared(void* mem, uint32_t* owner, uint32_t self,
                                       int64_t timeout_ms) {
  if (__atomic_load_n(owner, __ATOMIC_RELAXED) == self) {  // the holder again: it would deadlock
    return timeout_ms == 0 ? MPROC_E_TIMEOUT : MPROC_E_STATE;
  }
  int r = 0;
  if (timeout_ms < 0) {
    r = ::pthread_mutex_lock(as_mutex(mem));
  } else {
    // A timed wait polls trylock rather than calling pthread_mutex_timedlock: ThreadSanitizer's
    // timedlock takes no note of a mutex acquired with EOWNERDEAD, and then reports the holder's
    // release as a bug. This is the fallback for an unusual libc; its timed waits may be late by
    // the last nap (at most 2 ms).
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(std::min<int64_t>(timeout_ms, kForeverMs));
    auto nap = std::chrono::microseconds(50);
    for (;;) {
      r = ::pthread_mutex_trylock(as_mutex(mem));
      if (r != EBUSY) break;
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(nap, deadline - now));
      nap = std::min(nap * 2, std::chrono::microseconds(2000));
    }
  }
  if (r == 0 || r == EOWNERDEAD) __atomic_store_n(owner, self, __ATOMIC_RELAXED);
  return lock_result(r, timeout_ms);
}

mproc_status pthread_mutex_unlock_shared(void* mem, uint32_t* owner, uint32_t self) {
  if (__atomic_load_n(owner, __ATOMIC_RELAXED) != self) return MPROC_E_NOT_OWNER;
  __atomic_store_n(owner, 0u, __ATOMIC_RELAXED);
  int r = ::pthread_mutex_unlock(as_mutex(mem));
  if (r == 0) return MPROC_OK;
  __atomic_store_n(owner, self, __ATOMIC_RELAXED);
  if (r == EPERM) return MPROC_E_NOT_OWNER;
  return mproc__fail_os(r, "pthread_mutex_unlock of a process-shared robust mutex");
}

mproc_status pthread_mutex_consistent_shared(void* mem, const uint32_t* owner, uint32_t self) {
  if (__atomic_load_n(owner, __ATOMIC_RELAXED) != self) return MPROC_E_STATE;
  return ::pthread_mutex_consistent(as_mutex(mem)) == 0 ? MPROC_OK : MPROC_E_STATE;
}

}  // namespace mproc_posix
