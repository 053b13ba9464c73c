// backends/posix/sync_pthread.cc — see sync_pthread.h.
#include "backends/posix/sync_pthread.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "core/status.h"

namespace mproc_posix {

static_assert(sizeof(pthread_mutex_t) <= kPthreadMutexBytes, "the space the layout gives it");

namespace {

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

mproc_status pthread_mutex_lock_shared(void* mem, int64_t timeout_ms) {
  if (timeout_ms == 0) return lock_result(::pthread_mutex_trylock(as_mutex(mem)), 0);
  if (timeout_ms < 0) return lock_result(::pthread_mutex_lock(as_mutex(mem)), timeout_ms);
  // timedlock takes a CLOCK_REALTIME deadline (clocklock would take a monotonic one, but not every
  // sanitizer intercepts it); a wall-clock step shortens or lengthens this one wait.
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += static_cast<time_t>(timeout_ms / 1000);
  ts.tv_nsec += static_cast<long>((timeout_ms % 1000) * 1000000);
  if (ts.tv_nsec >= 1000000000) {
    ts.tv_sec += 1;
    ts.tv_nsec -= 1000000000;
  }
  return lock_result(::pthread_mutex_timedlock(as_mutex(mem), &ts), timeout_ms);
}

mproc_status pthread_mutex_unlock_shared(void* mem) {
  int r = ::pthread_mutex_unlock(as_mutex(mem));
  if (r == 0) return MPROC_OK;
  if (r == EPERM) return MPROC_E_NOT_OWNER;
  return mproc__fail_os(r, "pthread_mutex_unlock of a process-shared robust mutex");
}

mproc_status pthread_mutex_consistent_shared(void* mem) {
  return ::pthread_mutex_consistent(as_mutex(mem)) == 0 ? MPROC_OK : MPROC_E_STATE;
}

}  // namespace mproc_posix
