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

// ThreadSanitizer (GCC 12's) does not intercept pthread_mutex_clocklock: it would miss every
// timed acquisition and then report the unlock, and everything the lock protects, as races. Under
// TSan, timed locks use pthread_mutex_timedlock (CLOCK_REALTIME deadline), which it does see.
#if defined(__SANITIZE_THREAD__)
#define MPROC_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MPROC_TSAN 1
#endif
#endif
#ifndef MPROC_TSAN
#define MPROC_TSAN 0
#endif

#if MPROC_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace {
constexpr clockid_t kLockClock = MPROC_TSAN ? CLOCK_REALTIME : CLOCK_MONOTONIC;
}  // namespace

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

mproc_status mproc__mutex_lock(void* mem, int64_t timeout_ms) {
  auto* m = static_cast<pthread_mutex_t*>(mem);
  int rc;
  if (timeout_ms < 0) {
    rc = pthread_mutex_lock(m);
  } else if (timeout_ms == 0) {
    rc = pthread_mutex_trylock(m);
    if (rc == EBUSY) rc = ETIMEDOUT;
  } else {
    timespec ts;
    clock_gettime(kLockClock, &ts);
    ts.tv_sec += static_cast<time_t>(timeout_ms / 1000);
    ts.tv_nsec += static_cast<long>((timeout_ms % 1000) * 1000000);
    if (ts.tv_nsec >= 1000000000) {
      ts.tv_sec += 1;
      ts.tv_nsec -= 1000000000;
    }
#if MPROC_TSAN
    rc = pthread_mutex_timedlock(m, &ts);
    if (rc == EOWNERDEAD) {
      // Its timedlock interceptor records only a plain success.
      __tsan_mutex_pre_lock(m, __tsan_mutex_try_lock);
      __tsan_mutex_post_lock(m, __tsan_mutex_try_lock, 0);
    }
#else
    rc = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &ts);
#endif
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
  return mproc__fail_os(rc, "pthread_mutex_consistent");
}

bool mproc__process_alive(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}
