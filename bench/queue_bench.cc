// Queue throughput between two processes, one producer (a child) and one consumer (the benchmark
// loop): 8-byte messages (items/s) and 1 MiB messages (GB/s). Each batch the consumer asks the
// producer for n messages and receives them all; the contents are checked.
// Rows: queue/8B, queue/1MiB.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "mproc/mproc.hpp"

namespace queue_bench {

void produce_8b(mproc::Queue<int64_t> q, mproc::Queue<int64_t> cmd) {
  for (;;) {
    int64_t n = cmd.get();
    if (n <= 0) return;
    for (int64_t i = 1; i <= n; ++i) q.put(i);
  }
}

void produce_1mib(mproc::Queue<std::string> q, mproc::Queue<int64_t> cmd) {
  std::string msg(size_t{1} << 20, 'x');
  for (;;) {
    int64_t n = cmd.get();
    if (n <= 0) return;
    for (int64_t i = 0; i < n; ++i) {
      msg[0] = static_cast<char>(i);
      q.put(msg);
    }
  }
}

}  // namespace queue_bench

namespace {

// The next message; waits in 100 ms slices so that a dead producer fails the row, not hangs it.
template <class T>
std::optional<T> next(mproc::Queue<T>& q, mproc::Process& producer) {
  for (;;) {
    std::optional<T> m = q.try_get_for(std::chrono::milliseconds(100));
    if (m || !producer.is_alive()) return m;
  }
}

void Queue8B(benchmark::State& state) {
  constexpr int64_t kBatch = 100000;
  mproc::Queue<int64_t> q, cmd;
  mproc::Process p(mproc::fn<&queue_bench::produce_8b>, q, cmd);
  p.start();
  bool ok = true;
  while (ok && state.KeepRunningBatch(kBatch)) {
    cmd.put(kBatch);
    int64_t sum = 0;
    for (int64_t i = 0; i < kBatch; ++i) {
      std::optional<int64_t> m = next(q, p);
      if (!m) {
        ok = false;
        break;
      }
      sum += *m;
    }
    if (ok && sum != kBatch * (kBatch + 1) / 2) {
      state.SkipWithError("wrong sum");
      ok = false;
    }
  }
  cmd.put(0);
  p.join(std::chrono::seconds(10));
  if (!ok && !state.error_occurred()) state.SkipWithError("the producer died");
  state.SetItemsProcessed(state.iterations());
}

void Queue1MiB(benchmark::State& state) {
  constexpr int64_t kBatch = 32;
  constexpr size_t kSize = size_t{1} << 20;
  mproc::queue_options o;
  o.maxsize = 8;  // bounded, so the shared buffer stays ~8 MiB instead of growing to the batch
  mproc::Queue<std::string> q(o);
  mproc::Queue<int64_t> cmd;
  mproc::Process p(mproc::fn<&queue_bench::produce_1mib>, q, cmd);
  p.start();
  bool ok = true;
  while (ok && state.KeepRunningBatch(kBatch)) {
    cmd.put(kBatch);
    for (int64_t i = 0; i < kBatch; ++i) {
      std::optional<std::string> m = next(q, p);
      if (!m) {
        ok = false;
        break;
      }
      if (m->size() != kSize || (*m)[0] != static_cast<char>(i) || m->back() != 'x') {
        state.SkipWithError("wrong message");
        ok = false;
        break;
      }
    }
  }
  cmd.put(0);
  p.join(std::chrono::seconds(10));
  if (!ok && !state.error_occurred()) state.SkipWithError("the producer died");
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kSize));
}

BENCHMARK(Queue8B)->Name("queue/8B")->UseRealTime();
BENCHMARK(Queue1MiB)->Name("queue/1MiB")->UseRealTime();

}  // namespace
