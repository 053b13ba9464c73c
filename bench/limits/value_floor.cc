// The OS floor for two processes incrementing one int64 in shared memory: under a
// process-shared pthread mutex, and with an atomic fetch_add. Same shape as value_bench.cc (one
// iteration = one increment, each batch split between the two processes; result checked).
// Rows: value/add_lock_2proc, value/add_atomic_2proc.
#include <benchmark/benchmark.h>
#include <pthread.h>

#include "shm_util.h"

namespace {

struct Shared {
  floor_util::Control control;
  alignas(64) pthread_mutex_t mutex;
  int64_t value;  // next to the mutex, as in a Value
};

void add(Shared* s, int64_t n, bool atomic) {
  if (atomic) {
    for (int64_t i = 0; i < n; ++i) __atomic_fetch_add(&s->value, 1, __ATOMIC_SEQ_CST);
  } else {
    for (int64_t i = 0; i < n; ++i) {
      pthread_mutex_lock(&s->mutex);
      s->value += 1;
      pthread_mutex_unlock(&s->mutex);
    }
  }
}

void AddTwoProcesses(benchmark::State& state, bool atomic) {
  constexpr int64_t kHalf = 500000;  // ms per batch: a wake-up's latency is small beside it
  auto* s = static_cast<Shared*>(floor_util::shared_alloc(sizeof(Shared)));
  if (s == nullptr) {
    state.SkipWithError("mmap failed");
    return;
  }
  new (&s->control) floor_util::Control();
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&s->mutex, &attr);
  pthread_mutexattr_destroy(&attr);
  pid_t child = ::fork();
  if (child == 0) floor_util::serve(&s->control, [&](int64_t n) { add(s, n, atomic); });
  int64_t total = 0;
  uint32_t batches = 0;
  bool failed = false;
  while (state.KeepRunningBatch(2 * kHalf)) {
    floor_util::post(&s->control, kHalf);
    add(s, kHalf, atomic);
    if (!floor_util::await_done(&s->control, ++batches, child)) {
      failed = true;
      break;
    }
    total += 2 * kHalf;
  }
  floor_util::finish(&s->control, child);
  if (failed) {
    state.SkipWithError("the child died");
  } else if (s->value != total) {
    state.SkipWithError("wrong sum");
  }
  ::munmap(s, sizeof(Shared));
}

BENCHMARK_CAPTURE(AddTwoProcesses, lock, false)
    ->Name("value/add_lock_2proc")->Unit(benchmark::kNanosecond)->UseRealTime();
BENCHMARK_CAPTURE(AddTwoProcesses, atomic, true)
    ->Name("value/add_atomic_2proc")->Unit(benchmark::kNanosecond)->UseRealTime();

}  // namespace
