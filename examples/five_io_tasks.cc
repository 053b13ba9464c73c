// Seed 001 (shiyanlou tutorial), "using processes to make a program faster": an I/O task is
// simulated by sleeping for a second, which takes no CPU. Five of them one after another take about
// five seconds; five processes running one each take about one second, because the waits overlap.
//
//   ./mproc_example_five_io_tasks [--task-ms N] [--start-method fork|spawn|forkserver]
//
// --task-ms sets the length of one task (default 1000, as in the seed); tests use a shorter one.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "mproc/mproc.hpp"

// Stands for an I/O operation: the process is suspended and the CPU is free for others meanwhile.
void io_task(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [--task-ms N] [--start-method fork|spawn|forkserver]\n", argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  mproc::init(argc, argv);

  int task_ms = 1000;
  for (int i = 1; i < argc; ++i) {
    if (i + 1 >= argc) return usage(argv[0]);
    if (std::strcmp(argv[i], "--task-ms") == 0) {
      char* end = nullptr;
      long v = std::strtol(argv[i + 1], &end, 10);
      if (*end != '\0' || v < 0 || v > 600000) return usage(argv[0]);
      task_ms = static_cast<int>(v);
    } else if (std::strcmp(argv[i], "--start-method") == 0) {
      mproc_start_method m = MPROC_START_DEFAULT;
      if (mproc_start_method_from_name(argv[i + 1], &m) != MPROC_OK) return usage(argv[0]);
      mproc::set_start_method(static_cast<mproc::start_method>(m));
    } else {
      return usage(argv[0]);
    }
    ++i;
  }

  // One process: the five waits add up.
  std::printf("Serial: 5 I/O tasks of %.2fs each, one after another\n", task_ms / 1000.0);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) io_task(task_ms);
  std::printf("Elapsed time: %.2fs\n", seconds_since(start));

  // Five processes: the waits overlap.
  std::printf("Multiprocess: the same 5 tasks, one process each\n");
  start = std::chrono::steady_clock::now();
  std::vector<mproc::Process> processes;
  for (int i = 0; i < 5; ++i) processes.emplace_back(mproc::fn<&io_task>, task_ms);
  for (auto& p : processes) p.start();
  for (auto& p : processes) p.join();
  std::printf("Elapsed time: %.2fs\n", seconds_since(start));

  for (auto& p : processes) {
    if (p.exitcode() != 0) return 1;
  }
  return 0;
}
