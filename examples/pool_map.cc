// Seeds 000 and 004 (morvan tutorial), "the process pool": put the computation in a pool and it
// spreads the work over the worker processes and collects the results.
//
//   def job(x): return x * x
//   pool = mp.Pool(processes=2)
//   res = pool.map(job, range(10));              print(res)
//   res = pool.apply_async(job, (2,));           print(res.get())
//   multi_res = [pool.apply_async(job, (i,)) for i in range(10)]
//   print([res.get() for res in multi_res])
//
// The same program in C++, printing what Python prints, plus the pids that did the work.
//
//   ./mproc_example_pool_map [--processes N] [--start-method fork|spawn|forkserver]
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "example_args.hpp"
#include "mproc/mproc.hpp"

int job(int x) { return x * x; }

std::int64_t worker_pid(int) { return mproc::current_pid(); }

namespace {

// Python's print of a list of ints.
void print_list(const std::vector<int>& values) {
  std::string line = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) line += ", ";
    line += std::to_string(values[i]);
  }
  std::printf("%s]\n", line.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  mproc::init(argc, argv);

  int processes = 2;  // seed 000 uses 2, seed 004 uses 3
  example::Args args(argc, argv);
  args.option("--processes", &processes, 1);
  if (!args.parse()) return 2;

  try {
    mproc::Pool pool(processes);

    std::vector<int> res = pool.map(mproc::fn<&job>, mproc::range(10));
    print_list(res);

    auto one = pool.apply_async(mproc::fn<&job>, 2);
    std::printf("%d\n", one.get());

    std::vector<mproc::AsyncResult<int>> multi_res;
    for (int i = 0; i < 10; ++i) multi_res.push_back(pool.apply_async(mproc::fn<&job>, i));
    std::vector<int> values;
    for (auto& r : multi_res) values.push_back(r.get());
    print_list(values);

    // Not in the seed: which processes did the work (never this one).
    std::vector<std::int64_t> pids = pool.map(mproc::fn<&worker_pid>, mproc::range(20), 1);
    std::set<std::int64_t> distinct(pids.begin(), pids.end());
    std::printf("main process %lld; work done by %zu of the %d worker processes\n",
                static_cast<long long>(mproc::current_pid()), distinct.size(), pool.processes());
    return distinct.count(mproc::current_pid()) == 0 ? 0 : 1;
  } catch (const mproc::error& e) {
    std::fprintf(stderr, "pool_map: %s\n", e.what());
    return 1;
  }
}
