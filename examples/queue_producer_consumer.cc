// Seed 003 in C++: a producer puts 0..9 and then None (here std::nullopt) on a Queue; a consumer
// prints what it gets until the sentinel. Then put_nowait / get_nowait on a bounded queue: Full and
// Empty are reported instead of blocking.
//
// Output:
//   0 ... 9, one per line
//   full: put_nowait(3) would block
//   got 1
//   got 2
//   empty: get_nowait() would block
#include <iostream>
#include <optional>

#include "mproc/mproc.hpp"

void producer(mproc::Queue<std::optional<int>> queue) {
  for (int i = 0; i < 10; ++i) queue.put(i);
  queue.put(std::nullopt);  // Python's None: "no more items"
}

void consumer(mproc::Queue<std::optional<int>> queue) {
  while (std::optional<int> item = queue.get()) std::cout << *item << std::endl;
}

int main(int argc, char** argv) {
  mproc::init(argc, argv);

  mproc::Queue<std::optional<int>> queue;
  mproc::Process p1(mproc::fn<&producer>, queue);
  mproc::Process p2(mproc::fn<&consumer>, queue);
  p1.start();
  p2.start();
  p1.join();
  p2.join();

  mproc::Queue<int> small(2);  // maxsize 2
  small.put_nowait(1);
  small.put_nowait(2);
  try {
    small.put_nowait(3);
  } catch (const mproc::error& e) {
    if (e.code() != mproc::errc::full) throw;
    std::cout << "full: put_nowait(3) would block" << std::endl;
  }
  std::cout << "got " << small.get_nowait() << std::endl;
  std::cout << "got " << small.get_nowait() << std::endl;
  try {
    small.get_nowait();
  } catch (const mproc::error& e) {
    if (e.code() != mproc::errc::empty) throw;
    std::cout << "empty: get_nowait() would block" << std::endl;
  }
  return 0;
}
