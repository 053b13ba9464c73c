// Queue throughput between two processes, one producer (a child) and one consumer (the benchmark
// loop): 8-byte messages (items/s) and 1 MiB messages (GB/s). Each batch the consumer asks the
// producer for n messages and receives them all; the contents are checked.
// Rows: queue/8B, queue/1MiB.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

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

// The benchmark loop blocks in get(), as a user would (a timed get reads the clock on every call,
// which costs as much as a small message); this thread watches the producer meanwhile, and if it
// dies puts `poison` so that the loop wakes up and fails the row instead of waiting forever.
template <class T>
class Watchdog {
 public:
  Watchdog(mproc::Process& producer, mproc::Queue<T>& q, T poison)
      : thread_([this, &producer, &q, poison] {
          std::unique_lock<std::mutex> lk(mu_);
          while (!cv_.wait_for(lk, std::chrono::milliseconds(50), [this] { return stop_; })) {
            if (!producer.is_alive()) {
              q.put(poison);
              return;
            }
          }
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

void Queue8B(benchmark::State& state) {
  constexpr int64_t kBatch = 100000;
  mproc::Queue<int64_t> q, cmd;
  mproc::Process p(mproc::fn<&queue_bench::produce_8b>, q, cmd);
  p.start();
  bool ok = true;
  {
    Watchdog<int64_t> watch(p, q, -1);
    while (ok && state.KeepRunningBatch(kBatch)) {
      cmd.put(kBatch);
      int64_t sum = 0;
      for (int64_t i = 0; i < kBatch; ++i) {
        int64_t m = q.get();
        if (m < 0) {
          ok = false;
          break;
        }
        sum += m;
      }
      if (ok && sum != kBatch * (kBatch + 1) / 2) {
        state.SkipWithError("wrong sum");
        ok = false;
      }
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
  {
    Watchdog<std::string> watch(p, q, std::string());
    while (ok && state.KeepRunningBatch(kBatch)) {
      cmd.put(kBatch);
      for (int64_t i = 0; i < kBatch; ++i) {
        std::string m = q.get();
        if (m.empty()) {
          ok = false;
          break;
        }
        if (m.size() != kSize || m[0] != static_cast<char>(i) || m.back() != 'x') {
          state.SkipWithError("wrong message");
          ok = false;
          break;
        }
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
