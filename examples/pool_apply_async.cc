// Seed 001 (shiyanlou tutorial), "the process pool": Pool(4) keeps four worker processes; five
// tasks are added with apply_async, so four start at once and the fifth waits for the first
// worker to come free. close() takes no more tasks; join() waits until they are all done.
//
//   def task(name):
//       print('task {} started, process id {}'.format(name, os.getpid()))
//       time.sleep(random.random() * 3)
//       print('task {} finished after {:.2f}s'.format(name, end - start))
//   p = Pool(4)
//   for i in range(1, 6): p.apply_async(task, args=(i,))
//   p.close(); p.join()
//
// Then seed 003's three submission calls on Pool(2): apply_async of func(msg) for five messages,
// map_async(func, range(5)) and starmap_async(func, [(1, 1), (2, 2)]), each followed by close and
// join, printing "start" before the tasks' own lines and "done." after them.
//
//   ./mproc_example_pool_apply_async [--max-ms N] [--start-method fork|spawn|forkserver]
//
// --max-ms: the longest a seed 001 task sleeps (default 3000, as in the seed); seed 003's tasks
// sleep two thirds of it (2 s by default, as in the seed). The workers learn it from the pool's
// initializer, so the tasks keep the seeds' signatures.
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "example_args.hpp"
#include "mproc/mproc.hpp"

namespace {

void say(const char* format, ...) __attribute__((format(printf, 1, 2)));
// Workers share the terminal (or pipe): each line goes out whole and at once.
void say(const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vprintf(format, args);
  va_end(args);
  std::fflush(stdout);
}

}  // namespace

// Set in each worker by the pool's initializer.
int g_max_ms = 3000;
void set_max_ms(int ms) { g_max_ms = ms; }

// Seed 001's task: a random wait standing for I/O.
void task(int name) {
  const int max_ms = g_max_ms;
  say("task %d started, process id %lld\n", name, static_cast<long long>(mproc::current_pid()));
  const auto start = std::chrono::steady_clock::now();
  std::mt19937 random(static_cast<unsigned>(name) * 7919u);
  std::uniform_int_distribution<int> ms(0, max_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms(random)));
  say("task %d finished after %.2fs\n", name, example::seconds_since(start));
}

// Seed 003's func(msg) (for strings and for numbers) and func(msg1, msg2).
void func(std::string msg) {
  say("msg: %s\n", msg.c_str());
  std::this_thread::sleep_for(std::chrono::milliseconds(g_max_ms * 2 / 3));
  say("end\n");
}
void func_number(int msg) { func(std::to_string(msg)); }
void func2(int msg1, int msg2) {
  say("msg1: %d msg2: %d\n", msg1, msg2);
  std::this_thread::sleep_for(std::chrono::milliseconds(g_max_ms * 2 / 3));
  say("end\n");
}

int main(int argc, char** argv) {
  mproc::init(argc, argv);

  int max_ms = 3000;
  example::Args args(argc, argv);
  args.option("--max-ms", &max_ms, 0);
  if (!args.parse()) return 2;

  try {
    // ---- seed 001 ----
    say("main process id %lld\n", static_cast<long long>(mproc::current_pid()));
    say("-----------------------------------\n");
    const auto start = std::chrono::steady_clock::now();
    const mproc::Initializer init(mproc::fn<&set_max_ms>, max_ms);
    mproc::Pool p(4, init);
    std::vector<mproc::AsyncResult<void>> results;  // Python drops them; C++ asks to keep them
    for (int i = 1; i <= 5; ++i) results.push_back(p.apply_async(mproc::fn<&task>, i));
    p.close();
    say("waiting for the tasks...\n");
    p.join();
    for (auto& r : results) r.get();  // a task that failed would throw here
    say("-----------------------------------\n");
    say("all tasks done after %.2fs, main process id %lld\n", example::seconds_since(start),
        static_cast<long long>(mproc::current_pid()));

    // ---- seed 003: apply_async, map_async, starmap_async ----
    {
      say("== apply_async ==\n");
      mproc::Pool pool(2, init);
      std::vector<mproc::AsyncResult<void>> rs;
      for (int i = 0; i < 5; ++i) {
        rs.push_back(pool.apply_async(mproc::fn<&func>, "hello " + std::to_string(i)));
      }
      say("start\n");
      pool.close();
      pool.join();
      say("done.\n");
    }
    {
      say("== map_async ==\n");
      mproc::Pool pool(2, init);
      auto r = pool.map_async(mproc::fn<&func_number>, mproc::range(5));
      say("start\n");
      pool.close();
      pool.join();
      r.get();
      say("done.\n");
    }
    {
      say("== starmap_async ==\n");
      mproc::Pool pool(2, init);
      std::vector<std::pair<int, int>> msgs{{1, 1}, {2, 2}};
      auto r = pool.starmap_async(mproc::fn<&func2>, msgs);
      say("start\n");
      pool.close();
      pool.join();
      r.get();
      say("done.\n");
    }
    return 0;
  } catch (const mproc::error& e) {
    std::fprintf(stderr, "pool_apply_async: %s\n", e.what());
    return 1;
  }
}
