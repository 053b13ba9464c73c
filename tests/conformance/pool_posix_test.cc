// Pool cases that are POSIX by nature: a worker ended by a signal it raised (abort, a null
// pointer write) and the -N exit code that names the signal. Elsewhere each test compiles to a
// skip that says why, so the list of tests is the same everywhere. The deaths every platform has
// (killed, _Exit, mproc::exit) are PoolTest.AWorkerDyingMidTaskFailsOnlyThatTaskAndIsReplaced.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "support.h"

#if !defined(_WIN32)
#include <signal.h>
#endif

namespace pool_posix_test {

int square(int x) { return x * x; }

#if !defined(_WIN32)
// A real null-pointer write. The address comes from a volatile so that the compiler cannot see it
// is null (it would drop a write it can prove undefined); UBSan is told to let it through.
volatile std::uintptr_t g_zero = 0;
__attribute__((no_sanitize("undefined"), noinline)) void write_through_null() {
  *reinterpret_cast<volatile int*>(g_zero) = 1;
}

// Ends this worker with a signal in the middle of its task; writes its pid first so the test
// can check that the exception names it.
int die_by_signal(std::string pid_file, int how) {
  mproc_test::write_file(pid_file, std::to_string(mproc::current_pid()));
  if (how == SIGABRT) {
    ::signal(SIGABRT, SIG_DFL);  // sanitizers install a handler; the test wants the OS's
    std::abort();
  }
  if (how == SIGSEGV) {
    ::signal(SIGSEGV, SIG_DFL);  // sanitizers handle SIGSEGV; the test wants the OS's
    write_through_null();
  }
  if (how == SIGKILL) ::raise(SIGKILL);
  return -1;
}
#endif

}  // namespace pool_posix_test

namespace {

using namespace pool_posix_test;
using std::chrono::seconds;

class PoolPosixTest : public mproc_test::MethodTest {
 protected:
  mproc::PoolOptions options(int processes) const {
    mproc::PoolOptions o;
    o.processes = processes;
    o.context = ctx();
    return o;
  }
};

TEST_P(PoolPosixTest, AWorkerKilledByASignalFailsOnlyThatTaskAndTheErrorNamesTheSignal) {
#if defined(_WIN32)
  GTEST_SKIP() << "signals (SIGKILL by number, abort's SIGABRT, SIGSEGV) and their -N exit codes "
                  "are POSIX";
#else
  struct DeathCase {
    int signal;
    const char* name;
  };
  const DeathCase cases[] = {
      {SIGKILL, "raise(SIGKILL)"}, {SIGABRT, "abort"}, {SIGSEGV, "null pointer write"}};
  mproc::Pool pool(options(2));
  for (const DeathCase& c : cases) {
    SCOPED_TRACE(c.name);
    mproc_test::TempDir dir;
    const auto before = pool.worker_pids();
    std::vector<mproc::AsyncResult<int> > others;
    for (int i = 0; i < 20; ++i) others.push_back(pool.apply_async(mproc::fn<&square>, i));
    auto dying = pool.apply_async(mproc::fn<&die_by_signal>, dir.file("pid"), c.signal);
    for (int i = 20; i < 40; ++i) others.push_back(pool.apply_async(mproc::fn<&square>, i));
    try {
      dying.get(seconds(60));
      FAIL() << "no exception";
    } catch (const mproc::worker_lost& e) {
      EXPECT_EQ(e.code(), mproc::errc::worker_lost);
      EXPECT_EQ(e.exitcode(), -c.signal) << e.what();
      EXPECT_EQ(e.signal(), c.signal);
      EXPECT_EQ(std::to_string(e.pid()), mproc_test::read_file(dir.file("pid")));
      EXPECT_NE(std::find(before.begin(), before.end(), e.pid()), before.end());
      EXPECT_NE(std::string(e.what()).find(std::to_string(e.pid())), std::string::npos);
    }
    for (int i = 0; i < 40; ++i) EXPECT_EQ(others[i].get(seconds(60)), i * i) << i;
    // The replacement serves tasks; the dead worker is gone.
    EXPECT_EQ(pool.map(mproc::fn<&square>, mproc::range(10)).size(), 10u);
    EXPECT_TRUE(mproc_test::eventually([&] { return pool.worker_pids().size() == 2u; }));
    const std::int64_t dead = std::stoll(mproc_test::read_file(dir.file("pid")));
    const auto after = pool.worker_pids();
    EXPECT_EQ(std::find(after.begin(), after.end(), dead), after.end());
    EXPECT_TRUE(mproc_test::eventually([&] { return !mproc_test::platform::pid_alive(dead); }));
  }
#endif
}

MPROC_INSTANTIATE_FOR_METHODS(PoolPosixTest);

}  // namespace
