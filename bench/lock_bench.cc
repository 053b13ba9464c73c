// Lock and RLock: an uncontended acquire + release pair (one iteration = one pair).
// Rows: lock/uncontended, rlock/uncontended.
#include <benchmark/benchmark.h>

#include "mproc/mproc.hpp"

namespace {

template <class L>
void Uncontended(benchmark::State& state) {
  L lock;
  for (auto _ : state) {
    lock.lock();
    lock.unlock();
  }
  // A broken release would leave it held; then the timing means nothing.
  if (lock.held_by_caller() || !lock.try_lock()) state.SkipWithError("lock left held");
  lock.unlock();
}

BENCHMARK_TEMPLATE(Uncontended, mproc::Lock)
    ->Name("lock/uncontended")->Unit(benchmark::kNanosecond)->UseRealTime();
BENCHMARK_TEMPLATE(Uncontended, mproc::RLock)
    ->Name("rlock/uncontended")->Unit(benchmark::kNanosecond)->UseRealTime();

}  // namespace
