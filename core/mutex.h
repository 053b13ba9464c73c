// core/mutex.h — the mutex the core uses between threads of one process: std::mutex behind the
// shape of absl::Mutex (Lock/Unlock/TryLock, a scoped lock, the same thread-safety annotations).
//
// Not absl::Mutex, for two measured reasons. Its compiled half is libabsl_synchronization, which
// pulls in 12 more of Debian's Abseil shared objects (graphcycles, stacktrace, symbolize, time,
// time_zone, ...): ~65 more mappings in every process that loads libmproc. Every fork copies and
// then tears down each mapping, and every spawned child (a new run of the program) has the dynamic
// loader map and relocate each object; bench/ showed that as most of the distance from
// start_join/* to the OS floor. And Debian builds Abseil without NDEBUG, so each Lock also runs
// deadlock detection on a global graph, whose pages a forked child then copies on write. (TSan,
// too, sees into std::mutex and not into the distribution's Abseil, as core/pool.cc notes.)
#ifndef MPROC_CORE_MUTEX_H
#define MPROC_CORE_MUTEX_H

#include <mutex>

#include "absl/base/thread_annotations.h"

class ABSL_LOCKABLE mproc__thread_mutex {
 public:
  constexpr mproc__thread_mutex() = default;
  mproc__thread_mutex(const mproc__thread_mutex&) = delete;
  mproc__thread_mutex& operator=(const mproc__thread_mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { m_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { m_.unlock(); }
  bool TryLock() ABSL_EXCLUSIVE_TRYLOCK_FUNCTION(true) { return m_.try_lock(); }

 private:
  std::mutex m_;
};

// Holds a mproc__thread_mutex for its scope, as absl::MutexLock does.
class ABSL_SCOPED_LOCKABLE mproc__thread_lock {
 public:
  explicit mproc__thread_lock(mproc__thread_mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_->Lock();
  }
  ~mproc__thread_lock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  mproc__thread_lock(const mproc__thread_lock&) = delete;
  mproc__thread_lock& operator=(const mproc__thread_lock&) = delete;

 private:
  mproc__thread_mutex* const mu_;
};

#endif  // MPROC_CORE_MUTEX_H
