// Seed 004 (morvan tutorial), "multiprocessing and threading": the two APIs are used the same way.
// The seed starts job_t(1, 2) in a threading.Thread and job_p(1, 2) in a multiprocessing.Process,
// then joins both; they print "tttt" and "pppp". Here one worker runs both ways, and also prints
// the pid and process name it ran under: the thread shares this process's pid, the child has its
// own. The two lines may come in either order, as in Python.
//
//   ./mproc_example_threads_vs_processes [--start-method fork|spawn|forkserver]
#include <cstdio>
#include <string>
#include <thread>

#include "example_args.hpp"
#include "mproc/mproc.hpp"

// The worker. A thread calls it directly; a process calls it through mproc::fn<&job>.
void job(std::string word, int a, int d) {
  std::printf("%s: args (%d, %d), pid %lld, process name %s\n", word.c_str(), a, d,
              static_cast<long long>(mproc::current_pid()), mproc::current_name().c_str());
}

int main(int argc, char** argv) {
  mproc::init(argc, argv);

  example::Args args(argc, argv);
  if (!args.parse()) return 2;

  std::printf("main process: pid %lld\n", static_cast<long long>(mproc::current_pid()));

  // Same shape of code: target and arguments, start, join.
  mproc::Process p1(mproc::fn<&job>, std::string("pppp (mproc::Process)"), 1, 2);
  // The process starts before the thread (the seed has them the other way round) because under the
  // fork start method forking while another thread runs copies any lock that thread holds, such as
  // stdout's. The default start method, forkserver, has no such hazard.
  p1.start();
  std::thread t1(job, std::string("tttt (std::thread)"), 1, 2);  // std::thread starts when made

  t1.join();
  p1.join();
  return p1.exitcode() == 0 ? 0 : 1;
}
