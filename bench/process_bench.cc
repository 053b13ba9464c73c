// Process start + join latency per start method, and with a parent that holds a 1 GiB heap
// (fork copies the page tables, so its cost grows with the parent; forkserver and spawn do not).
// Rows: start_join/<method> and start_join_1GiB/<method>.
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>

#include "mproc/mproc.hpp"

namespace process_bench {
void noop() {}
}  // namespace process_bench

namespace {

void StartJoin(benchmark::State& state, mproc::start_method method, size_t heap_bytes) {
  std::unique_ptr<char[]> heap;
  if (heap_bytes > 0) {
    heap.reset(new char[heap_bytes]);
    std::memset(heap.get(), 1, heap_bytes);  // touched, so the pages really exist
  }
  mproc::Context ctx(method);
  {
    // Warm-up: the forkserver starts on first use; that one-off cost is not a start's cost.
    mproc::Process p(ctx, mproc::fn<&process_bench::noop>);
    p.start();
    p.join();
  }
  for (auto _ : state) {
    mproc::Process p(ctx, mproc::fn<&process_bench::noop>);
    p.start();
    p.join();
    if (p.exitcode() != 0) state.SkipWithError("child failed");
  }
  benchmark::DoNotOptimize(heap.get());
}

constexpr size_t kGiB = size_t{1} << 30;

BENCHMARK_CAPTURE(StartJoin, fork, mproc::start_method::fork, 0)
    ->Name("start_join/fork")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(StartJoin, forkserver, mproc::start_method::forkserver, 0)
    ->Name("start_join/forkserver")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(StartJoin, spawn, mproc::start_method::spawn, 0)
    ->Name("start_join/spawn")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(StartJoin, fork_1GiB, mproc::start_method::fork, kGiB)
    ->Name("start_join_1GiB/fork")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(StartJoin, forkserver_1GiB, mproc::start_method::forkserver, kGiB)
    ->Name("start_join_1GiB/forkserver")->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
