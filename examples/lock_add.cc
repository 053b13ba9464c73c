// Seed 004 in C++: two processes add 1 and 3 to a shared value five times each, printing the
// value after every addition. Without a lock their additions interleave (and may even lose one);
// with the lock held around each process's whole loop, one runs all five additions, then the
// other. Either way the value should end at 20.
//
// Output (the first line varies from run to run; in the second block the process that takes the
// lock first goes first, so it may also read 3 6 9 12 15 16 17 18 19 20):
//   without a lock: 1 4 5 8 9 12 13 16 17 20
//   final: 20
//   with a lock:
//   1
//   2
//   3
//   4
//   5
//   8
//   11
//   14
//   17
//   20
//   final: 20
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "mproc/mproc.hpp"

void job(mproc::Value<int> v, int num) {
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // makes the interleaving visible
    v.set(v.get() + num);                                         // Python: v.value += num
    std::printf(" %d", v.get());
    std::fflush(stdout);  // the two processes share the terminal: write now, not at exit
  }
}

void job_locked(mproc::Value<int> v, int num, mproc::Lock l) {
  std::lock_guard<mproc::Lock> hold(l);  // Python: l.acquire() ... l.release()
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    v.set(v.get() + num);
    std::printf("%d\n", v.get());
    std::fflush(stdout);
  }
}

int main(int argc, char** argv) {
  mproc::init(argc, argv);
  {
    mproc::Value<int> v(0);  // Python: mp.Value('i', 0)
    mproc::Process p1(mproc::fn<&job>, v, 1);
    mproc::Process p2(mproc::fn<&job>, v, 3);
    std::printf("without a lock:");
    std::fflush(stdout);
    p1.start();
    p2.start();
    p1.join();
    p2.join();
    std::printf("\nfinal: %d\n", v.get());
  }
  {
    mproc::Lock l;  // Python: mp.Lock()
    mproc::Value<int> v(0);
    mproc::Process p1(mproc::fn<&job_locked>, v, 1, l);
    mproc::Process p2(mproc::fn<&job_locked>, v, 3, l);
    std::printf("with a lock:\n");
    std::fflush(stdout);
    p1.start();
    p2.start();
    p1.join();
    p2.join();
    std::printf("final: %d\n", v.get());
  }
  return 0;
}
