// Pipe round trip between two processes: the parent sends an int64_t on one duplex
// mproc::Pipe<int64_t>, the child receives it and sends it back. One iteration = one round trip.
// Rows: pipe/roundtrip_blocked (each side waits inside recv, asleep in the kernel) and
// pipe/roundtrip_busy (each side keeps polling with poll() — no wait — and receives only once a
// message is there, so neither ever sleeps).
#include <benchmark/benchmark.h>

#include <cstdint>

#include "mproc/mproc.hpp"

namespace pipe_bench {

// Echoes every value until it receives a negative one (or the parent's end closes).
void echo_blocked(mproc::Connection<std::int64_t> c) {
  for (;;) {
    const std::int64_t v = c.recv();
    if (v < 0) return;
    c.send(v);
  }
}

void echo_busy(mproc::Connection<std::int64_t> c) {
  for (;;) {
    while (!c.poll()) {
    }
    const std::int64_t v = c.recv();
    if (v < 0) return;
    c.send(v);
  }
}

}  // namespace pipe_bench

namespace {

template <bool Busy>
void RoundTrip(benchmark::State& state) {
  auto [here, there] = mproc::Pipe<std::int64_t>();
  auto start = [&, there = there] {
    if constexpr (Busy) {
      return mproc::Process(mproc::fn<&pipe_bench::echo_busy>, there);
    } else {
      return mproc::Process(mproc::fn<&pipe_bench::echo_blocked>, there);
    }
  };
  mproc::Process p = start();
  p.start();
  there.close();
  std::int64_t i = 0, sum = 0;
  try {
    for (auto _ : state) {
      here.send(i);
      if (Busy) {
        while (!here.poll()) {
        }
      }
      const std::int64_t back = here.recv();
      if (back != i) {
        state.SkipWithError("the echo is not the value sent");
        break;
      }
      sum += back;
      ++i;
    }
    here.send(-1);
  } catch (const mproc::error& e) {
    state.SkipWithError(e.what());  // the child died (end of file) or the pipe failed
  }
  try {
    p.join(std::chrono::seconds(10));
    if (p.is_alive()) {
      p.kill();
      p.join();
    }
  } catch (const mproc::error& e) {
    state.SkipWithError(e.what());  // e.g. the forkserver died, so the child's status is unknown
  }
  if (sum != i * (i - 1) / 2) state.SkipWithError("wrong sum of echoed values");
  benchmark::DoNotOptimize(sum);
}

BENCHMARK_TEMPLATE(RoundTrip, false)
    ->Name("pipe/roundtrip_blocked")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(RoundTrip, true)
    ->Name("pipe/roundtrip_busy")->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
