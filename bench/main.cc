// The benchmark binary's main: mproc::init first, so the binary can be re-run as a spawned child
// or as the forkserver while it measures.
#include <benchmark/benchmark.h>

#include "mproc/mproc.hpp"

int main(int argc, char** argv) {
  mproc::init(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
