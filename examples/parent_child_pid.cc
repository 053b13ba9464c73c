// Seed 001 (shiyanlou tutorial), "a simple multiprocessing program": the parent prints its pid,
// starts a child that runs hello("shiyanlou"), waits for it with join(), and prints its pid again.
// The child prints its own pid, which differs from the parent's.
//
//   ./mproc_example_parent_child_pid [--start-method fork|spawn|forkserver]
#include <cstdio>
#include <string>

#include "example_args.hpp"
#include "mproc/mproc.hpp"

// Runs in the child. mproc::fn<&hello> (below) registers it, so every start method can find it.
void hello(std::string name) {
  std::printf("child process: %lld\n", static_cast<long long>(mproc::current_pid()));
  std::printf("Hello %s\n", name.c_str());
}

int main(int argc, char** argv) {
  // Python's `if __name__ == '__main__':` — in a child this runs hello() and exits.
  mproc::init(argc, argv);

  example::Args args(argc, argv);
  if (!args.parse()) return 2;

  std::printf("parent process: %lld\n", static_cast<long long>(mproc::current_pid()));
  // The arguments are copied to the child, as Python pickles args=('shiyanlou',).
  mproc::Process p(mproc::fn<&hello>, std::string("shiyanlou"));
  std::printf("child process start\n");
  p.start();
  p.join();
  std::printf("child process stop\n");
  std::printf("parent process: %lld\n", static_cast<long long>(mproc::current_pid()));
  return p.exitcode() == 0 ? 0 : 1;
}
