// Seeds 000 and 004 in C++: two `job` processes each put one result on a Queue; the parent joins
// them, then gets both results and sums them.
//
// Output:
//   249833583000
//   249833583000
//   499667166000
//
// Joining before get is safe with any amount of data: mproc's put never waits for a reader
// (CPython's would, once the results outgrow the pipe buffer).
#include <iostream>

#include "mproc/mproc.hpp"

void job(mproc::Queue<long long> q) {
  long long res = 0;
  for (long long i = 0; i < 1000; ++i) res += i + i * i + i * i * i;
  q.put(res);
}

int main(int argc, char** argv) {
  mproc::init(argc, argv);
  mproc::Queue<long long> q;
  mproc::Process p1(mproc::fn<&job>, q);
  mproc::Process p2(mproc::fn<&job>, q);
  p1.start();
  p2.start();
  p1.join();
  p2.join();
  long long res1 = q.get();
  std::cout << res1 << std::endl;
  long long res2 = q.get();
  std::cout << res2 << std::endl;
  std::cout << res1 + res2 << std::endl;
  return 0;
}
