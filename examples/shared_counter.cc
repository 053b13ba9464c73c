// Seed 001 in C++: ten processes each add 1 to a shared counter fifty times. Without a lock the
// read and the write of an increment are two steps, and processes that interleave them lose
// updates, so the total is usually below 500; with a lock around each increment it is exactly
// 500. Each version runs five times, as in the seed.
//
// Output (the first five numbers vary from run to run):
//   without a lock: 305
//   without a lock: 397
//   without a lock: 355
//   without a lock: 358
//   without a lock: 311
//   with a lock: 500
//   with a lock: 500
//   with a lock: 500
//   with a lock: 500
//   with a lock: 500
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "mproc/mproc.hpp"

// One increment: Python's `val.value += 1` is a read and a write, each taking the value's lock on
// its own. The C++ read and write take nanoseconds where Python's take microseconds, so a short
// pause between them stands in for the interpreter: without it the race is still there, but is
// seldom lost in this little program.
void increment(mproc::Value<int>& val) {
  int seen = val.get();
  std::this_thread::sleep_for(std::chrono::microseconds(100));
  val.set(seen + 1);
}

void func(mproc::Value<int> val) {
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    increment(val);
  }
}

void func_locked(mproc::Value<int> val, mproc::Lock lock) {
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::lock_guard<mproc::Lock> hold(lock);  // Python: with lock:
    increment(val);
  }
}

int main(int argc, char** argv) {
  mproc::init(argc, argv);
  for (int run = 0; run < 5; ++run) {
    mproc::Value<int> val(0);  // Python: Value('i', 0)
    std::vector<mproc::Process> processes;
    for (int i = 0; i < 10; ++i) processes.emplace_back(mproc::fn<&func>, val);
    for (auto& p : processes) p.start();
    for (auto& p : processes) p.join();
    std::printf("without a lock: %d\n", val.get());
  }
  for (int run = 0; run < 5; ++run) {
    mproc::Value<int> val(0);
    mproc::Lock lock;
    std::vector<mproc::Process> processes;
    for (int i = 0; i < 10; ++i) processes.emplace_back(mproc::fn<&func_locked>, val, lock);
    for (auto& p : processes) p.start();
    for (auto& p : processes) p.join();
    std::printf("with a lock: %d\n", val.get());
  }
  return 0;
}
