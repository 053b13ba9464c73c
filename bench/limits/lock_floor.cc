// The OS floor for an uncontended lock: lock + unlock of a process-shared pthread mutex in shared
// memory. Robust is the honest floor for mproc's Lock (which reports a holder's death); the plain
// one is what a lock that cannot do that costs. Rows: lock/uncontended (robust),
// lock/uncontended_nonrobust, rlock/uncontended (robust, recursive).
#include <benchmark/benchmark.h>
#include <pthread.h>

#include "shm_util.h"

namespace {

void MutexPair(benchmark::State& state, bool robust, int type) {
  auto* m = static_cast<pthread_mutex_t*>(floor_util::shared_alloc(sizeof(pthread_mutex_t)));
  if (m == nullptr) {
    state.SkipWithError("mmap failed");
    return;
  }
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  if (robust) pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutexattr_settype(&attr, type);
  pthread_mutex_init(m, &attr);
  pthread_mutexattr_destroy(&attr);
  for (auto _ : state) {
    pthread_mutex_lock(m);
    pthread_mutex_unlock(m);
  }
  if (pthread_mutex_trylock(m) != 0) state.SkipWithError("mutex left held");
  pthread_mutex_unlock(m);
  pthread_mutex_destroy(m);
  ::munmap(m, sizeof(pthread_mutex_t));
}

BENCHMARK_CAPTURE(MutexPair, robust, true, PTHREAD_MUTEX_ERRORCHECK)
    ->Name("lock/uncontended")->Unit(benchmark::kNanosecond)->UseRealTime();
BENCHMARK_CAPTURE(MutexPair, nonrobust, false, PTHREAD_MUTEX_NORMAL)
    ->Name("lock/uncontended_nonrobust")->Unit(benchmark::kNanosecond)->UseRealTime();
BENCHMARK_CAPTURE(MutexPair, recursive, true, PTHREAD_MUTEX_RECURSIVE)
    ->Name("rlock/uncontended")->Unit(benchmark::kNanosecond)->UseRealTime();

}  // namespace
