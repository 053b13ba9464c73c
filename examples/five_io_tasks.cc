// Seed 001 (shiyanlou tutorial), "using processes to make a program faster": an I/O task is
// simulated by sleeping for a second, which takes no CPU. Five of them one after another take about
// five seconds; five processes running one each take about one second, because the waits overlap.
//
//   ./mproc_example_five_io_tasks [--task-ms N] [--start-method fork|spawn|forkserver]
//
// --task-ms sets the length of one task (default 1000, as in the seed); tests use a shorter one.
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "example_args.hpp"
#include "mproc/mproc.hpp"

// Stands for an I/O operation: the process is suspended and the CPU is free for others meanwhile.
void io_task(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

int main(int argc, char** argv) {
  mproc::init(argc, argv);

  int task_ms = 1000;
  example::Args args(argc, argv);
  args.option("--task-ms", &task_ms, 0, 600000);
  if (!args.parse()) return 2;

  // One process: the five waits add up.
  std::printf("Serial: 5 I/O tasks of %.2fs each, one after another\n", task_ms / 1000.0);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) io_task(task_ms);
  std::printf("Elapsed time: %.2fs\n", example::seconds_since(start));

  // Five processes: the waits overlap.
  std::printf("Multiprocess: the same 5 tasks, one process each\n");
  start = std::chrono::steady_clock::now();
  std::vector<mproc::Process> processes;
  for (int i = 0; i < 5; ++i) processes.emplace_back(mproc::fn<&io_task>, task_ms);
  for (auto& p : processes) p.start();
  for (auto& p : processes) p.join();
  std::printf("Elapsed time: %.2fs\n", example::seconds_since(start));

  for (auto& p : processes) {
    if (p.exitcode() != 0) return 1;
  }
  return 0;
}
