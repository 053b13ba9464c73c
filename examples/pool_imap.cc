// Seed 003 (multiprocessing notes), imap and imap_unordered: func(msg) prints its message, sleeps
// 4 - msg seconds and returns msg, so with Pool(3) the last message finishes first. imap yields
// the results in the order of its input (0, 1, 2) as soon as each next one is ready;
// imap_unordered yields them as they complete (2, 1, 0). Neither makes a list of its input.
//
//   pool = mp.Pool(3)
//   for res in pool.imap(func, range(3)): print("res: ", res)
//   print("start"); pool.close(); pool.join(); print("done.")
//
// Then the seed's ThreadPool(2) example: imap of func(num) (sleep 0.1 s; num * 10 when num % 3 ==
// 0, else None) over range(10) under a tqdm progress bar, here mproc::progress on stderr.
//
//   ./mproc_example_pool_imap [--unit-ms N] [--start-method fork|spawn|forkserver]
//
// --unit-ms: the seed's second (default 1000); tests use a shorter one.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>

#include "example_args.hpp"
#include "mproc/mproc.hpp"

int g_unit_ms = 1000;  // set in each worker by the pool's initializer
void set_unit(int ms) { g_unit_ms = ms; }

int func(int msg) {
  std::printf("msg: %d\n", msg);
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::milliseconds((4 - msg) * g_unit_ms));
  return msg;
}

int main(int argc, char** argv) {
  mproc::init(argc, argv);

  int unit_ms = 1000;
  example::Args args(argc, argv);
  args.option("--unit-ms", &unit_ms, 0);
  if (!args.parse()) return 2;

  try {
    for (bool ordered : {true, false}) {
      std::printf("== %s ==\n", ordered ? "imap" : "imap_unordered");
      std::fflush(stdout);
      mproc::Pool pool(3, mproc::Initializer(mproc::fn<&set_unit>, unit_ms));
      auto results = ordered ? pool.imap(mproc::fn<&func>, mproc::range(3))
                             : pool.imap_unordered(mproc::fn<&func>, mproc::range(3));
      for (int res : results) {
        std::printf("res: %d\n", res);
        std::fflush(stdout);
      }
      std::printf("start\n");
      pool.close();
      pool.join();
      std::printf("done.\n");
    }

    // The seed's ThreadPool with a progress bar; a lambda is fine here: it never leaves this
    // process.
    std::printf("== ThreadPool(2).imap with a progress bar ==\n");
    std::fflush(stdout);
    mproc::ThreadPool pool(2);
    auto thread_func = [unit_ms](int num) -> std::optional<int> {
      std::this_thread::sleep_for(std::chrono::milliseconds(unit_ms / 10));
      if (num % 3 == 0) return num * 10;
      return std::nullopt;
    };
    std::string last;
    auto bar = mproc::progress(pool.imap(thread_func, mproc::range(10)), 10);
    for (const std::optional<int>& result : bar) {
      last = result ? "result=" + std::to_string(*result) : "result=None";
      bar.bar().set_description(last);
    }
    bar.bar().close();
    std::printf("last: %s\n", last.c_str());
    return 0;
  } catch (const mproc::error& e) {
    std::fprintf(stderr, "pool_imap: %s\n", e.what());
    return 1;
  }
}
