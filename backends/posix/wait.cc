// backends/posix/wait.cc — cross-process wait/wake on a word in shared memory (futex), and the
// robust process-shared mutex (glibc's robust pthread mutex: the kernel walks a dead thread's
// robust list and hands the lock to the next waiter with EOWNERDEAD).
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <climits>

#include "backends/backend.h"
#include "backends/posix/fd.h"
#include "core/status.h"

mproc_status mproc__word_wait(uint32_t* word, uint32_t expected, int64_t timeout_ms) {
  timespec ts{};
  timespec* tsp = nullptr;
  if (timeout_ms >= 0) {
    ts.tv_sec = static_cast<time_t>(timeout_ms / 1000);
    ts.tv_nsec = static_cast<long>((timeout_ms % 1000) * 1000000);
    tsp = &ts;
  }
  // Shared (not FUTEX_PRIVATE): the word lives in memory mapped by several processes.
  long r = ::syscall(SYS_futex, word, FUTEX_WAIT, expected, tsp, nullptr, 0);
  if (r == 0 || errno == EAGAIN || errno == EINTR) return MPROC_OK;
  if (errno == ETIMEDOUT) return MPROC_E_TIMEOUT;
  return mproc__fail_os(errno, "futex wait");
}

void mproc__word_wake(uint32_t* word, int32_t count) {
  ::syscall(SYS_futex, word, FUTEX_WAKE, count, nullptr, nullptr, 0);
}

size_t mproc__mutex_size() { return sizeof(pthread_mutex_t); }

mproc_status mproc__mutex_init(void* mem, bool recursive) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  // ERRORCHECK makes an unlock by a non-owner fail instead of corrupting the lock.
  pthread_mutexattr_settype(&attr, recursive ? PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_ERRORCHECK);
  int rc = pthread_mutex_init(static_cast<pthread_mutex_t*>(mem), &attr);
  pthread_mutexattr_destroy(&attr);
  if (rc != 0) return mproc__fail_os(rc, "pthread_mutex_init (robust, process-shared)");
  return MPROC_OK;
}

// ThreadSanitizer (GCC 12's) does not intercept pthread_mutex_clocklock, and its
// pthread_mutex_timedlock interceptor ignores an owner-died acquire: either way it later reports
// the unlock of a mutex it thinks is not held. Its trylock interceptor handles every case, so
// under TSan (only) a timed lock polls trylock until the deadline.
#if defined(__SANITIZE_THREAD__)
#define MPROC_POSIX_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MPROC_POSIX_TSAN 1
#endif
#endif
#ifndef MPROC_POSIX_TSAN
#define MPROC_POSIX_TSAN 0
#endif

namespace {

timespec monotonic_after(int64_t timeout_ms) {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += static_cast<time_t>(timeout_ms / 1000);
  ts.tv_nsec += static_cast<long>((timeout_ms % 1000) * 1000000);
  if (ts.tv_nsec >= 1000000000) {
    ts.tv_sec += 1;
    ts.tv_nsec -= 1000000000;
  }
  return ts;
}

int timed_lock(pthread_mutex_t* m, int64_t timeout_ms) {
  // Uncontended, the lock is free: no need to read the clock for a deadline.
  int first = pthread_mutex_trylock(m);
  if (first != EBUSY) return first;
  timespec deadline = monotonic_after(timeout_ms);
#if MPROC_POSIX_TSAN
  long pause_us = 50;
  for (;;) {
    int rc = pthread_mutex_trylock(m);
    if (rc != EBUSY) return rc;
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > deadline.tv_sec ||
        (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)) {
      return ETIMEDOUT;
    }
    ::usleep(static_cast<useconds_t>(pause_us));
    pause_us = pause_us < 1000 ? pause_us * 2 : 1000;
  }
#else
  return pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &deadline);
#endif
}

}  // namespace

mproc_status mproc__mutex_lock(void* mem, int64_t timeout_ms) {
  auto* m = static_cast<pthread_mutex_t*>(mem);
  int rc;
  if (timeout_ms < 0) {
    rc = pthread_mutex_lock(m);
  } else if (timeout_ms == 0) {
    rc = pthread_mutex_trylock(m);
    if (rc == EBUSY) rc = ETIMEDOUT;
  } else {
    rc = timed_lock(m, timeout_ms);
  }
  switch (rc) {
    case 0:
      return MPROC_OK;
    case EOWNERDEAD:
      return MPROC_E_OWNER_DIED;
    case ETIMEDOUT:
      return MPROC_E_TIMEOUT;
    case ENOTRECOVERABLE:
      return mproc__fail(MPROC_E_STATE,
                         "the lock's owner died and the next owner released it without marking it "
                         "consistent: it can never be acquired again");
    case EDEADLK:
      return mproc__fail(MPROC_E_STATE, "the calling thread already holds this (non-recursive) lock");
    default:
      return mproc__fail_os(rc, "pthread_mutex_lock");
  }
}

mproc_status mproc__mutex_unlock(void* mem) {
  int rc = pthread_mutex_unlock(static_cast<pthread_mutex_t*>(mem));
  if (rc == 0) return MPROC_OK;
  if (rc == EPERM) return MPROC_E_NOT_OWNER;
  return mproc__fail_os(rc, "pthread_mutex_unlock");
}

mproc_status mproc__mutex_consistent(void* mem) {
  int rc = pthread_mutex_consistent(static_cast<pthread_mutex_t*>(mem));
  if (rc == 0) return MPROC_OK;
  if (rc == EINVAL) return MPROC_E_STATE;  // not in the owner-died state
  return mproc__fail_os(rc, "pthread_mutex_consistent");
}

bool mproc__process_alive(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}
