// Seed 000 in C++ (the shared-memory example of Python's multiprocessing documentation): a shared
// Value('d', 1) and Array('i', [1, 2, 3]); a child negates both; the parent, after joining it,
// sees the changes.
//
// Output:
//   -1.0
//   [-1, -2, -3]
#include <cstdio>
#include <vector>

#include "mproc/mproc.hpp"

void negate(mproc::Value<double> num, mproc::Array<int> arr) {
  num.set(-num.get());
  for (std::size_t i = 0; i < arr.size(); ++i) arr[i] = -arr[i];
}

int main(int argc, char** argv) {
  mproc::init(argc, argv);
  mproc::Value<double> num(1);     // Python: Value('d', 1)
  mproc::Array<int> arr{1, 2, 3};  // Python: Array('i', [1, 2, 3])
  mproc::Process p(mproc::fn<&negate>, num, arr);
  p.start();
  p.join();
  std::printf("%.1f\n", num.get());
  std::vector<int> all = arr.read();  // Python: arr[:]
  std::printf("[");
  for (std::size_t i = 0; i < all.size(); ++i) std::printf(i == 0 ? "%d" : ", %d", all[i]);
  std::printf("]\n");
  return 0;
}
