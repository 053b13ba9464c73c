// The OS floor for starting and joining a process: fork + waitpid, and posix_spawn of a tiny
// program + waitpid. Rows: start_join/fork, start_join/spawn (the floor for forkserver is fork).
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <memory>

extern char** environ;

namespace {

void ForkWait(benchmark::State& state, size_t heap_bytes) {
  std::unique_ptr<char[]> heap;
  if (heap_bytes > 0) {
    heap.reset(new char[heap_bytes]);
    std::memset(heap.get(), 1, heap_bytes);
  }
  for (auto _ : state) {
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  benchmark::DoNotOptimize(heap.get());
}

void SpawnWait(benchmark::State& state) {
  // /bin/true: the smallest dynamically linked program at hand; mproc's spawn re-runs itself.
  char arg0[] = "true";
  char* argv[] = {arg0, nullptr};
  for (auto _ : state) {
    pid_t pid = -1;
    if (::posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) != 0) {
      state.SkipWithError("posix_spawn failed");
      break;
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
}

BENCHMARK_CAPTURE(ForkWait, plain, 0)->Name("start_join/fork")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(ForkWait, heap, size_t{1} << 30)
    ->Name("start_join_1GiB/fork")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(SpawnWait)->Name("start_join/spawn")->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
