// Two processes incrementing one Value<int64_t>: under its lock (Python's
// `with v.get_lock(): v.value += 1`) and with the atomic fetch_add. One iteration = one increment,
// whichever process made it (time = wall time / all increments): each batch gives both processes
// half, run at once. The final value is checked. Rows: value/add_lock_2proc, value/add_atomic_2proc.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <mutex>

#include "mproc/mproc.hpp"

namespace value_bench {

void add(mproc::Value<int64_t>& v, int64_t n, bool atomic) {
  if (atomic) {
    for (int64_t i = 0; i < n; ++i) v.fetch_add(1);
  } else {
    int64_t* data = v.data();
    for (int64_t i = 0; i < n; ++i) {
      std::lock_guard<mproc::RLock> hold(v.get_lock());
      *data += 1;
    }
  }
}

// The other process: adds as many as each command says, then reports; 0 ends it.
void adder(mproc::Value<int64_t> v, mproc::Queue<int64_t> cmd, mproc::Queue<int64_t> done,
           bool atomic) {
  for (;;) {
    int64_t n = cmd.get();
    if (n <= 0) return;
    add(v, n, atomic);
    done.put(n);
  }
}

}  // namespace value_bench

namespace {

void ValueAdd(benchmark::State& state, bool atomic) {
  constexpr int64_t kHalf = 500000;  // ms per batch: a wake-up's latency is small beside it
  mproc::Value<int64_t> v(0);
  mproc::Queue<int64_t> cmd, done;
  mproc::Process p(mproc::fn<&value_bench::adder>, v, cmd, done, atomic);
  p.start();
  int64_t total = 0;
  bool failed = false;
  while (state.KeepRunningBatch(2 * kHalf)) {
    cmd.put(kHalf);
    value_bench::add(v, kHalf, atomic);
    for (;;) {
      if (done.try_get_for(std::chrono::milliseconds(100))) break;
      if (!p.is_alive()) {
        failed = true;
        break;
      }
    }
    if (failed) break;
    total += 2 * kHalf;
  }
  cmd.put(0);
  p.join(std::chrono::seconds(10));
  if (failed) {
    state.SkipWithError("the other process died");
  } else if (v.load() != total) {
    state.SkipWithError("wrong sum");
  }
}

BENCHMARK_CAPTURE(ValueAdd, lock, false)
    ->Name("value/add_lock_2proc")->Unit(benchmark::kNanosecond)->UseRealTime();
BENCHMARK_CAPTURE(ValueAdd, atomic, true)
    ->Name("value/add_atomic_2proc")->Unit(benchmark::kNanosecond)->UseRealTime();

}  // namespace
