// The floor binary's main. Run with kExitAtOnceFlag as its only argument, it ends at once: that
// is the program start_join/spawn posix_spawns ("posix_spawn of self", as the benchmark issue
// asks), so the floor pays what every run of a C++ benchmark program pays — exec, loading
// libstdc++ and libbenchmark, their static initialisers, reaching main — and nothing else.
// mproc's spawn re-runs mproc_bench, which also loads libmproc and Abseil and then runs mproc's
// child bootstrap: that difference is mproc's cost and stays in the mproc/floor ratio.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstring>

#include "bench/limits/process_floor.h"

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], process_floor::kExitAtOnceFlag) == 0) {
    ::_exit(0);  // as an mproc child ends: _exit, no static destructors
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
