// Pool: apply / map / imap and their async forms, callbacks, initializer, maxtasksperchild,
// close / join / terminate, a worker dying mid-task in every way, bad input, the C ABI's result
// handles and event handle — under every start method.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

namespace pool_test {

int square(int x) { return x * x; }
long long add(long long a, long long b) { return a + b; }
std::int64_t my_pid(int) { return mproc::current_pid(); }
void nothing(int) {}

// Waits (bounded) until `path` exists: how a test releases a task exactly when it wants to.
bool wait_for_file(const std::string& path) {
  return mproc_test::eventually([&] { return mproc_test::file_exists(path); },
                                std::chrono::seconds(60));
}

int released(std::pair<std::string, int> task) {
  if (!wait_for_file(task.first + "/go-" + std::to_string(task.second))) {
    throw std::runtime_error("never released");
  }
  return task.second;
}

void throw_runtime(std::string message) { throw std::runtime_error(message); }
int throw_logic(int) { throw std::logic_error("logic went wrong"); }

// Each way a worker can end itself in the middle of a task on every platform (the deaths by a
// POSIX signal are in pool_posix_test.cc); it writes its pid first so the test can check the
// exception names it.
int die(std::string pid_file, int how) {
  mproc_test::write_file(pid_file, std::to_string(mproc::current_pid()));
  switch (how) {
    case 0:
      mproc_test::platform::die_now();
    case 1:
      std::_Exit(3);
    case 2:
      mproc::exit(5);
    default:
      break;
  }
  return -1;
}

// Sleeps until killed (a task terminate() must stop).
int sleep_forever(int) {
  mproc_test::platform::sleep_forever();
}

// Initializer: counts its calls in this worker, and leaves a file per run.
int g_init_calls = 0;
std::string g_init_tag;
void init_worker(std::string dir, std::string tag) {
  ++g_init_calls;
  g_init_tag = tag;
  mproc_test::write_file(dir + "/init-" + std::to_string(mproc::current_pid()) + "-" +
                             std::to_string(g_init_calls),
                         tag);
}
std::string init_report(int) {
  return std::to_string(mproc::current_pid()) + " " + std::to_string(g_init_calls) + " " +
         g_init_tag;
}
void init_that_throws(int code) { throw std::runtime_error("init failed " + std::to_string(code)); }

// A value whose encoding or decoding fails on demand, to reach E_ENCODE / E_DECODE.
struct Fragile {
  int value = 0;
};

Fragile make_fragile(int v) { return Fragile{v}; }
int read_fragile(Fragile f) { return f.value; }

// Encodes the file descriptor it holds as a handle: stands for a shared object (queue, lock...).
struct HandleHolder {
  int fd = -1;
};
int use_handle(HandleHolder h) { return h.fd; }

std::string read_all(std::string path) { return mproc_test::read_file(path); }

// A pool inside a pool worker: workers are daemonic, as in Python, so this must fail clearly.
int nested_pool(int method) {
  try {
    mproc::Pool inner(1, {}, 0, mproc::Context(static_cast<mproc::start_method>(method)));
    return 0;
  } catch (const mproc::error& e) {
    return e.code().value();
  }
}

std::int64_t pid_after(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return mproc::current_pid();
}

}  // namespace pool_test

// Fragile: encodes -1 as an error, decodes 13 as an error.
template <>
struct mproc::codec<pool_test::Fragile> {
  static void encode(std::string& out, const pool_test::Fragile& f) {
    if (f.value == -1) throw mproc::error(mproc::errc::encode, "Fragile refuses to encode -1");
    mproc::encode(out, f.value);
  }
  static pool_test::Fragile decode(mproc::reader& in) {
    int v = mproc::decode<int>(in);
    if (v == 13) throw mproc::error(mproc::errc::decode, "Fragile refuses to decode 13");
    return pool_test::Fragile{v};
  }
};

template <>
struct mproc::codec<pool_test::HandleHolder> {
  static void encode(std::string& out, const pool_test::HandleHolder& h) {
    mproc::encode(out, mproc::export_handle(h.fd, "HandleHolder"));
  }
  static pool_test::HandleHolder decode(mproc::reader& in) {
    return pool_test::HandleHolder{static_cast<int>(mproc::import_handle(mproc::decode<std::uint64_t>(in)))};
  }
};

namespace {

using namespace pool_test;
using mproc_test::kJoinTimeout;
using mproc_test::MethodTest;
using std::chrono::milliseconds;
using std::chrono::seconds;

class PoolTest : public MethodTest {
 protected:
  mproc::PoolOptions options(int processes) const {
    mproc::PoolOptions o;
    o.processes = processes;
    o.context = ctx();
    return o;
  }
};

bool pid_gone(std::int64_t pid) { return !mproc_test::platform::pid_alive(pid); }

// ---- the seeds ---------------------------------------------------------------------------------

TEST_P(PoolTest, MapOverRangeTenGivesTheSquaresInOrder) {
  mproc::Pool pool(options(2));
  EXPECT_EQ(pool.map(mproc::fn<&square>, mproc::range(10)),
            (std::vector<int>{0, 1, 4, 9, 16, 25, 36, 49, 64, 81}));
}

TEST_P(PoolTest, ApplyAsyncGetsOneValueAndAListOfThemKeepsItsOrder) {
  mproc::Pool pool(options(3));
  auto r = pool.apply_async(mproc::fn<&square>, 2);
  EXPECT_EQ(r.get(seconds(60)), 4);
  std::vector<mproc::AsyncResult<int>> results;
  for (int i = 0; i < 10; ++i) results.push_back(pool.apply_async(mproc::fn<&square>, i));
  std::vector<int> values;
  for (auto& x : results) values.push_back(x.get(seconds(60)));
  EXPECT_EQ(values, (std::vector<int>{0, 1, 4, 9, 16, 25, 36, 49, 64, 81}));
}

TEST_P(PoolTest, FourWorkersRunFiveTasksThenCloseAndJoinWaitsForAll) {
  mproc_test::TempDir dir;
  mproc::Pool pool(options(4));
  const auto workers = pool.worker_pids();
  ASSERT_EQ(workers.size(), 4u);
  std::vector<mproc::AsyncResult<std::int64_t>> results;
  for (int i = 1; i <= 5; ++i) results.push_back(pool.apply_async(mproc::fn<&pid_after>, 20 * i));
  pool.close();
  ASSERT_TRUE(pool.join(kJoinTimeout));
  std::set<std::int64_t> used;
  for (auto& r : results) {
    ASSERT_TRUE(r.ready()) << "join returned before every task was done";
    used.insert(r.get());
  }
  for (auto pid : used) {
    EXPECT_NE(std::find(workers.begin(), workers.end(), pid), workers.end()) << pid;
  }
  EXPECT_TRUE(pool.worker_pids().empty());
}

TEST_P(PoolTest, MapAsyncStarmapAsyncAndApplyAsyncAllFinishBeforeJoinReturns) {
  mproc::Pool pool(options(2));
  auto m = pool.map_async(mproc::fn<&square>, mproc::range(5));
  auto s = pool.starmap_async(mproc::fn<&add>,
                              std::vector<std::pair<long long, long long>>{{1, 1}, {2, 2}});
  auto a = pool.apply_async(mproc::fn<&add>, 40, 2);
  pool.close();
  ASSERT_TRUE(pool.join(kJoinTimeout));
  ASSERT_TRUE(m.ready() && s.ready() && a.ready());
  EXPECT_EQ(m.get(), (std::vector<int>{0, 1, 4, 9, 16}));
  EXPECT_EQ(s.get(), (std::vector<long long>{2, 4}));
  EXPECT_EQ(a.get(), 42);
  EXPECT_TRUE(m.successful());
}

TEST_P(PoolTest, ImapKeepsInputOrderWhileImapUnorderedYieldsInCompletionOrder) {
  // Seed 003's func sleeps 4 - msg seconds so that the last message finishes first; here the test
  // releases the tasks in the order 2, 1, 0 instead, so the outcome never depends on timing.
  mproc::Pool pool(options(3));
  {
    mproc_test::TempDir dir;
    std::vector<std::pair<std::string, int>> inputs;
    for (int i = 0; i < 3; ++i) inputs.emplace_back(dir.path(), i);
    auto results = pool.imap(mproc::fn<&released>, inputs);
    for (int i = 2; i >= 0; --i) mproc_test::write_file(dir.file("go-" + std::to_string(i)), "");
    std::vector<int> order(results.begin(), results.end());
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  }
  {
    mproc_test::TempDir dir;
    std::vector<std::pair<std::string, int>> inputs;
    for (int i = 0; i < 3; ++i) inputs.emplace_back(dir.path(), i);
    auto results = pool.imap_unordered(mproc::fn<&released>, inputs);
    mproc_test::write_file(dir.file("go-2"), "");
    auto it = results.begin();
    ASSERT_NE(it, results.end());
    EXPECT_EQ(*it, 2);
    mproc_test::write_file(dir.file("go-1"), "");
    ++it;
    ASSERT_NE(it, results.end());
    EXPECT_EQ(*it, 1);
    mproc_test::write_file(dir.file("go-0"), "");
    ++it;
    ASSERT_NE(it, results.end());
    EXPECT_EQ(*it, 0);
    ++it;
    EXPECT_EQ(it, results.end());
  }
}

TEST_P(PoolTest, FileReadInThePoolGivesTheSameBytesAsReadingItSerially) {
  // Seed 002's experiment: one file read N times one after another, then by N pool tasks.
  mproc_test::TempDir dir;
  std::string text;
  for (int line = 0; line < 2000; ++line) {
    text += "line " + std::to_string(line) + ": the quick brown fox jumps over the lazy dog\n";
  }
  mproc_test::write_file(dir.file("data.txt"), text);
  const std::vector<std::string> paths(8, dir.file("data.txt"));
  std::vector<std::string> serial;
  for (const auto& p : paths) serial.push_back(read_all(p));
  mproc::Pool pool(options(4));
  std::vector<std::string> pooled = pool.map(mproc::fn<&read_all>, paths);
  ASSERT_EQ(pooled.size(), serial.size());
  for (std::size_t i = 0; i < serial.size(); ++i) {
    EXPECT_EQ(pooled[i], text) << "read " << i;
    EXPECT_EQ(pooled[i], serial[i]) << "read " << i;
  }
}

// ---- the pool's own promises -------------------------------------------------------------------

TEST_P(PoolTest, MapHandlesEmptyInputAndChunkSizesThatDoNotDivide) {
  mproc::Pool pool(options(2));
  EXPECT_TRUE(pool.map(mproc::fn<&square>, std::vector<int>{}).empty());
  std::vector<int> expected;
  for (int i = 0; i < 103; ++i) expected.push_back(i * i);
  for (std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{200}}) {
    EXPECT_EQ(pool.map(mproc::fn<&square>, mproc::range(103), chunk), expected) << chunk;
  }
  pool.map(mproc::fn<&nothing>, mproc::range(5));  // a function returning nothing
  auto none = pool.map_async(mproc::fn<&nothing>, mproc::range(5));
  EXPECT_NO_THROW(none.get(seconds(60)));
}

TEST_P(PoolTest, AnExceptionReachesTheCallerWithTypeMessageAndPidAndTheWorkerSurvives) {
  mproc::Pool pool(options(1));
  const std::int64_t worker = pool.worker_pids().at(0);
  try {
    pool.apply(mproc::fn<&throw_runtime>, std::string("boom 42"));
    FAIL() << "no exception";
  } catch (const mproc::remote_error& e) {
    EXPECT_EQ(e.code(), mproc::errc::remote);
    EXPECT_EQ(e.type_name(), "std::runtime_error");
    EXPECT_EQ(e.message(), "boom 42");
    EXPECT_EQ(e.pid(), worker);
    EXPECT_NE(std::string(e.what()).find("std::runtime_error: boom 42"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(pool.apply(mproc::fn<&my_pid>, 0), worker) << "the worker was replaced";
  auto r = pool.map_async(mproc::fn<&throw_logic>, mproc::range(4));
  EXPECT_THROW(r.get(seconds(60)), mproc::remote_error);
  EXPECT_FALSE(r.successful());
  EXPECT_EQ(pool.worker_pids(), std::vector<std::int64_t>{worker});
}

struct DeathCase {
  int how;
  int exitcode;
  const char* name;
};

TEST_P(PoolTest, AWorkerDyingMidTaskFailsOnlyThatTaskAndIsReplaced) {
  const DeathCase cases[] = {{0, mproc::exitcode_killed, "killed (die_now)"},
                             {1, 3, "_Exit(3)"},
                             {2, 5, "mproc::exit(5)"}};
  mproc::Pool pool(options(2));
  for (const DeathCase& c : cases) {
    SCOPED_TRACE(c.name);
    mproc_test::TempDir dir;
    const auto before = pool.worker_pids();
    std::vector<mproc::AsyncResult<int>> others;
    for (int i = 0; i < 20; ++i) others.push_back(pool.apply_async(mproc::fn<&square>, i));
    auto dying = pool.apply_async(mproc::fn<&die>, dir.file("pid"), c.how);
    for (int i = 20; i < 40; ++i) others.push_back(pool.apply_async(mproc::fn<&square>, i));
    try {
      dying.get(seconds(60));
      FAIL() << "no exception";
    } catch (const mproc::worker_lost& e) {
      EXPECT_EQ(e.code(), mproc::errc::worker_lost);
      EXPECT_EQ(e.exitcode(), c.exitcode) << e.what();
      EXPECT_EQ(std::to_string(e.pid()), mproc_test::read_file(dir.file("pid")));
      EXPECT_NE(std::find(before.begin(), before.end(), e.pid()), before.end());
      EXPECT_EQ(e.signal(), c.exitcode < 0 ? -c.exitcode : 0);
      EXPECT_NE(std::string(e.what()).find(std::to_string(e.pid())), std::string::npos);
    }
    for (int i = 0; i < 40; ++i) EXPECT_EQ(others[i].get(seconds(60)), i * i) << i;
    // The replacement serves tasks; the dead worker is gone.
    EXPECT_EQ(pool.map(mproc::fn<&square>, mproc::range(10)).size(), 10u);
    EXPECT_TRUE(mproc_test::eventually([&] { return pool.worker_pids().size() == 2u; }));
    const std::int64_t dead = std::stoll(mproc_test::read_file(dir.file("pid")));
    const auto after = pool.worker_pids();
    EXPECT_EQ(std::find(after.begin(), after.end(), dead), after.end());
    EXPECT_TRUE(mproc_test::eventually([&] { return pid_gone(dead); }));
  }
}

TEST_P(PoolTest, ADeadWorkersMapChunkFailsTheMapButOtherTasksComplete) {
  mproc_test::TempDir dir;
  mproc::Pool pool(options(2));
  auto other = pool.map_async(mproc::fn<&square>, mproc::range(100), 10);
  auto dying = pool.starmap_async(
      mproc::fn<&die>, std::vector<std::tuple<std::string, int>>{{dir.file("pid"), 0}});
  EXPECT_THROW(dying.get(seconds(60)), mproc::worker_lost);
  EXPECT_EQ(other.get(seconds(60)).size(), 100u);
}

TEST_P(PoolTest, MaxTasksPerChildRecyclesWorkers) {
  mproc::PoolOptions o = options(1);
  o.maxtasksperchild = 2;
  mproc::Pool pool(o);
  std::map<std::int64_t, int> tasks_per_pid;
  for (int i = 0; i < 6; ++i) ++tasks_per_pid[pool.apply(mproc::fn<&my_pid>, i)];
  EXPECT_EQ(tasks_per_pid.size(), 3u);
  for (auto& [pid, n] : tasks_per_pid) EXPECT_EQ(n, 2) << pid;
  // A map chunk is one task, as in Python.
  std::vector<std::int64_t> pids = pool.map(mproc::fn<&my_pid>, mproc::range(8), 4);
  EXPECT_EQ(std::set<std::int64_t>(pids.begin(), pids.end()).size(), 1u);
  for (auto& [pid, n] : tasks_per_pid) {
    EXPECT_TRUE(mproc_test::eventually([&, p = pid] { return pid_gone(p); })) << pid;
  }
}

TEST_P(PoolTest, TheInitializerRunsOncePerWorkerBeforeItsTasks) {
  mproc_test::TempDir dir;
  mproc::PoolOptions o = options(2);
  o.initializer = mproc::Initializer(mproc::fn<&init_worker>, dir.path(), std::string("ready"));
  mproc::Pool pool(o);
  std::vector<std::string> reports = pool.map(mproc::fn<&init_report>, mproc::range(40), 1);
  std::set<std::string> distinct(reports.begin(), reports.end());
  for (const auto& r : distinct) {
    EXPECT_NE(r.find(" 1 ready"), std::string::npos) << r;  // one initializer call, before tasks
  }
  const auto pids = pool.worker_pids();
  pool.close();
  ASSERT_TRUE(pool.join(kJoinTimeout));
  for (auto pid : pids) {
    EXPECT_TRUE(mproc_test::file_exists(dir.file("init-" + std::to_string(pid) + "-1"))) << pid;
    EXPECT_FALSE(mproc_test::file_exists(dir.file("init-" + std::to_string(pid) + "-2"))) << pid;
  }
}

TEST_P(PoolTest, AFailingInitializerBreaksThePoolWithAClearError) {
  mproc::PoolOptions o = options(2);
  o.initializer = mproc::Initializer(mproc::fn<&init_that_throws>, 7);
  mproc::Pool pool(o);
  try {
    // The pool may be broken already when the task is submitted, or break while it waits.
    auto r = pool.apply_async(mproc::fn<&square>, 3);
    r.get(seconds(60));
    FAIL() << "no exception";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::child_failed) << e.what();
    EXPECT_NE(std::string(e.what()).find("init failed 7"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("initializer"), std::string::npos) << e.what();
  }
  try {
    (void)pool.apply_async(mproc::fn<&square>, 3);
    FAIL() << "a broken pool took a task";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::child_failed) << e.what();
  }
}

TEST_P(PoolTest, GetWithATimeoutExpiresAndTheTaskStillCompletes) {
  mproc_test::TempDir dir;
  mproc::Pool pool(options(1));
  auto r = pool.apply_async(mproc::fn<&released>, std::make_pair(dir.path(), 1));
  try {
    r.get(milliseconds(50));
    FAIL() << "no timeout";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::timeout);
  }
  EXPECT_FALSE(r.wait(milliseconds(10)));
  EXPECT_FALSE(r.ready());
  EXPECT_THROW((void)r.successful(), mproc::error);
  mproc_test::write_file(dir.file("go-1"), "");
  EXPECT_EQ(r.get(seconds(60)), 1);
  EXPECT_TRUE(r.ready());
  EXPECT_TRUE(r.successful());
  EXPECT_EQ(r.progress(), (std::pair<std::size_t, std::size_t>{1, 1}));
}

TEST_P(PoolTest, TerminateStopsRunningTasksAndFailsWhatWasUnfinished) {
  mproc::Pool pool(options(2));
  const auto pids = pool.worker_pids();
  std::vector<mproc::AsyncResult<int>> results;
  for (int i = 0; i < 6; ++i) results.push_back(pool.apply_async(mproc::fn<&sleep_forever>, i));
  const auto start = std::chrono::steady_clock::now();
  pool.terminate();
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(30));
  for (auto& r : results) {
    ASSERT_TRUE(r.wait(seconds(10)));
    try {
      r.get();
      FAIL() << "a terminated task succeeded";
    } catch (const mproc::error& e) {
      EXPECT_EQ(e.code(), mproc::errc::closed) << e.what();
    }
  }
  for (auto pid : pids) EXPECT_TRUE(pid_gone(pid)) << pid;
  EXPECT_TRUE(pool.join(kJoinTimeout));
  EXPECT_THROW((void)pool.apply_async(mproc::fn<&square>, 1), mproc::error);
}

TEST_P(PoolTest, NoWorkerIsLeftOnceThePoolIsGone) {
  std::vector<std::int64_t> pids;
  mproc::AsyncResult<int> unfinished;
  {
    mproc::Pool pool(options(3));
    pids = pool.worker_pids();
    ASSERT_EQ(pids.size(), 3u);
    EXPECT_EQ(pool.map(mproc::fn<&square>, mproc::range(30)).size(), 30u);
    unfinished = pool.apply_async(mproc::fn<&sleep_forever>, 0);
  }  // the destructor terminates, as leaving Python's `with Pool() as pool:` does
  for (auto pid : pids) EXPECT_TRUE(pid_gone(pid)) << pid;
  ASSERT_TRUE(unfinished.wait(seconds(10)));
  try {
    unfinished.get();
    FAIL() << "the task outlived its pool";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::closed);
  }
}

TEST_P(PoolTest, CallbacksRunBeforeTheResultIsReady) {
  mproc::Pool pool(options(2));
  std::atomic<int> value{0};
  std::atomic<bool> failed{false};
  std::string error_text;
  auto ok = pool.apply_async(mproc::fn<&square>, mproc::args(7), [&](int v) { value = v; });
  auto bad = pool.apply_async(mproc::fn<&throw_runtime>, mproc::args(std::string("cb")), nullptr,
                              [&](const mproc::error& e) {
                                error_text = e.what();
                                failed = dynamic_cast<const mproc::remote_error*>(&e) != nullptr;
                              });
  std::vector<int> mapped;
  auto m = pool.map_async(mproc::fn<&square>, mproc::range(4), 0,
                          [&](const std::vector<int>& v) { mapped = v; });
  EXPECT_EQ(ok.get(seconds(60)), 49);
  EXPECT_EQ(value.load(), 49);
  EXPECT_TRUE(bad.wait(seconds(60)));
  EXPECT_TRUE(failed.load());
  EXPECT_NE(error_text.find("cb"), std::string::npos) << error_text;
  m.get(seconds(60));
  EXPECT_EQ(mapped, (std::vector<int>{0, 1, 4, 9}));
}

TEST_P(PoolTest, AWorkerCannotStartAPoolOfItsOwn) {
  mproc::Pool pool(options(1));
  EXPECT_EQ(pool.apply(mproc::fn<&nested_pool>, static_cast<int>(GetParam())), MPROC_E_STATE);
}

TEST_P(PoolTest, ACallbackMaySubmitMoreWork) {
  mproc::Pool pool(options(2));
  std::mutex mu;
  std::vector<mproc::AsyncResult<int>> chained;
  auto first = pool.apply_async(mproc::fn<&square>, mproc::args(3), [&](int v) {
    std::lock_guard<std::mutex> lock(mu);
    chained.push_back(pool.apply_async(mproc::fn<&square>, v));
  });
  ASSERT_EQ(first.get(seconds(60)), 9);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(chained.size(), 1u);
  EXPECT_EQ(chained[0].get(seconds(60)), 81);
}

// An input that counts what was pulled from it and can fail at a given element.
class CountingInput {
 public:
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = int;
    using difference_type = std::ptrdiff_t;
    using pointer = const int*;
    using reference = int;
    iterator() = default;
    iterator(CountingInput* in, int i) : in_(in), i_(i) {}
    int operator*() const {
      if (i_ == in_->fail_at_) throw std::runtime_error("input broke at " + std::to_string(i_));
      in_->pulled_ = std::max(in_->pulled_, i_ + 1);
      return i_;
    }
    iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const iterator& o) const { return i_ == o.i_; }
    bool operator!=(const iterator& o) const { return i_ != o.i_; }

   private:
    CountingInput* in_ = nullptr;
    int i_ = 0;
  };
  CountingInput(int size, int fail_at) : size_(size), fail_at_(fail_at) {}
  iterator begin() { return iterator(this, 0); }
  iterator end() { return iterator(this, size_); }
  int pulled() const { return pulled_; }

 private:
  int size_, fail_at_;
  int pulled_ = 0;
};

TEST_P(PoolTest, ImapPullsItsInputLazilyWithABoundedWindow) {
  mproc::Pool pool(options(2));
  CountingInput input(1 << 30, -1);  // endless, for practical purposes
  const std::size_t window = 3, chunk = 2;
  auto results = pool.imap(mproc::fn<&square>, input, chunk, window);
  int seen = 0;
  for (int v : results) {
    EXPECT_EQ(v, seen * seen);
    ++seen;
    // What was pulled: what was consumed, plus at most the window's chunks and one chunk being
    // handed out.
    EXPECT_LE(input.pulled(), seen + static_cast<int>((window + 1) * chunk));
    if (seen == 200) break;
  }
  EXPECT_EQ(seen, 200);
}

TEST_P(PoolTest, AnExceptionFromTheInputIsRaisedWhereItHappened) {
  mproc::Pool pool(options(2));
  for (bool ordered : {true, false}) {
    SCOPED_TRACE(ordered ? "imap" : "imap_unordered");
    CountingInput input(100, 5);
    auto results = ordered ? pool.imap(mproc::fn<&square>, input, 2)
                           : pool.imap_unordered(mproc::fn<&square>, input, 2);
    std::vector<int> got;
    try {
      for (int v : results) got.push_back(v);
      FAIL() << "the input's exception was lost";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "input broke at 5");
    }
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<int>{0, 1, 4, 9, 16}));
  }
}

TEST_P(PoolTest, ImapRaisesATaskFailureAtItsPlaceAndGoesOn) {
  mproc::Pool pool(options(2));
  auto results = pool.imap(mproc::fn<&read_fragile>,
                           std::vector<Fragile>{{1}, {13}, {3}});
  auto it = results.begin();
  EXPECT_EQ(*it, 1);
  try {
    ++it;
    FAIL() << "no exception for the element that failed to decode";
  } catch (const mproc::remote_error& e) {
    EXPECT_EQ(e.code(), mproc::errc::decode) << e.what();
  }
  ++it;
  ASSERT_NE(it, results.end());
  EXPECT_EQ(*it, 3);
}

// ---- bad input ---------------------------------------------------------------------------------

TEST_P(PoolTest, ZeroOrNegativeProcessesAreRefused) {
  for (int n : {0, -1, -100}) {
    try {
      mproc::Pool pool(options(n));
      FAIL() << n << " processes were accepted";
    } catch (const mproc::error& e) {
      EXPECT_EQ(e.code(), mproc::errc::invalid_argument);
      EXPECT_NE(std::string(e.what()).find(std::to_string(n)), std::string::npos) << e.what();
    }
  }
  mproc_pool_options o = MPROC_POOL_OPTIONS_INIT;
  o.processes = -3;
  mproc_pool* p = nullptr;
  EXPECT_EQ(mproc_pool_create(&o, &p), MPROC_E_INVAL);
  EXPECT_NE(std::string(mproc_last_error()).find("-3"), std::string::npos) << mproc_last_error();
  EXPECT_EQ(p, nullptr);
  o.processes = 1;
  o.maxtasksperchild = -1;
  EXPECT_EQ(mproc_pool_create(&o, &p), MPROC_E_INVAL);
}

TEST_P(PoolTest, AnUnregisteredFunctionIsRefusedNamingIt) {
  mproc_pool_options o = MPROC_POOL_OPTIONS_INIT;
  o.processes = 1;
  o.start_method = static_cast<mproc_start_method>(GetParam());
  o.name = "bad-input";
  mproc_pool* p = nullptr;
  ASSERT_EQ(mproc_pool_create(&o, &p), MPROC_OK);
  mproc_result* r = nullptr;
  EXPECT_EQ(mproc_pool_apply_async(p, "pool_test::no_such_function", "", 0, &r),
            MPROC_E_NOT_REGISTERED);
  EXPECT_NE(std::string(mproc_last_error()).find("'pool_test::no_such_function'"),
            std::string::npos)
      << mproc_last_error();
  EXPECT_EQ(r, nullptr);
  EXPECT_EQ(mproc_pool_map_async(p, "pool_test::no_such_function", "", 0, 0, &r),
            MPROC_E_NOT_REGISTERED);
  o.initializer = "pool_test::no_such_initializer";
  mproc_pool* q = nullptr;
  EXPECT_EQ(mproc_pool_create(&o, &q), MPROC_E_NOT_REGISTERED);
  EXPECT_NE(std::string(mproc_last_error()).find("no_such_initializer"), std::string::npos);
  mproc_pool_destroy(p);
}

TEST_P(PoolTest, SubmittingAfterCloseIsAClearErrorAndJoinNeedsCloseFirst) {
  mproc::Pool pool(options(1));
  try {
    pool.join();
    FAIL() << "join on a running pool";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::bad_state);
    EXPECT_NE(std::string(e.what()).find("close()"), std::string::npos) << e.what();
  }
  pool.close();
  try {
    (void)pool.apply_async(mproc::fn<&square>, 1);
    FAIL() << "a closed pool took a task";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::closed);
    EXPECT_NE(std::string(e.what()).find(pool.name()), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)pool.map(mproc::fn<&square>, mproc::range(3)), mproc::error);
  EXPECT_TRUE(pool.join(kJoinTimeout));
}

TEST_P(PoolTest, AResultThatFailsToEncodeFailsItsTaskAndTheWorkerSurvives) {
  mproc::Pool pool(options(1));
  const std::int64_t worker = pool.worker_pids().at(0);
  EXPECT_EQ(pool.apply(mproc::fn<&make_fragile>, 5).value, 5);
  try {
    (void)pool.apply(mproc::fn<&make_fragile>, -1);
    FAIL() << "no exception";
  } catch (const mproc::remote_error& e) {
    EXPECT_EQ(e.code(), mproc::errc::encode) << e.what();
    EXPECT_NE(std::string(e.what()).find("Fragile refuses to encode -1"), std::string::npos)
        << e.what();
    EXPECT_EQ(e.pid(), worker);
  }
  EXPECT_EQ(pool.apply(mproc::fn<&my_pid>, 0), worker);
}

TEST_P(PoolTest, AnArgumentThatFailsToDecodeFailsItsTaskAndTheWorkerSurvives) {
  mproc::Pool pool(options(1));
  const std::int64_t worker = pool.worker_pids().at(0);
  try {
    (void)pool.apply(mproc::fn<&read_fragile>, Fragile{13});
    FAIL() << "no exception";
  } catch (const mproc::remote_error& e) {
    EXPECT_EQ(e.code(), mproc::errc::decode) << e.what();
    EXPECT_NE(std::string(e.what()).find("Fragile refuses to decode 13"), std::string::npos)
        << e.what();
  }
  // Bytes that are not an argument pack at all, through the C ABI.
  mproc_result* r = nullptr;
  ASSERT_EQ(mproc_pool_apply_async(pool.native_handle(), mproc::fn_t<&square>::name().c_str(),
                                   "xyz", 3, &r),
            MPROC_OK);
  const void* data = nullptr;
  std::size_t len = 0;
  EXPECT_EQ(mproc_result_get(r, 0, 60000, &data, &len), MPROC_E_DECODE);
  EXPECT_NE(std::string(mproc_last_error()).find("decode"), std::string::npos)
      << mproc_last_error();
  mproc_result_destroy(r);
  EXPECT_EQ(pool.apply(mproc::fn<&my_pid>, 0), worker);
}

TEST_P(PoolTest, AMalformedBatchIsRefusedBeforeAnythingRuns) {
  mproc::Pool pool(options(1));
  const char bad[] = {5, 0, 0, 0, 'a', 'b'};  // says 5 bytes, has 2
  mproc_result* r = nullptr;
  EXPECT_EQ(mproc_pool_map_async(pool.native_handle(), mproc::fn_t<&square>::name().c_str(), bad,
                                 sizeof bad, 0, &r),
            MPROC_E_DECODE);
  EXPECT_NE(std::string(mproc_last_error()).find("malformed"), std::string::npos)
      << mproc_last_error();
  EXPECT_EQ(r, nullptr);
}

// ---- the C ABI ---------------------------------------------------------------------------------

std::string pack_int(int v) { return mproc::encode_args(v); }

TEST_P(PoolTest, CApiMapsAnEncodedBatchAndReportsProgressAndErrors) {
  mproc_pool_options o = MPROC_POOL_OPTIONS_INIT;
  o.processes = 2;
  o.start_method = static_cast<mproc_start_method>(GetParam());
  mproc_pool* p = nullptr;
  ASSERT_EQ(mproc_pool_create(&o, &p), MPROC_OK);
  EXPECT_EQ(mproc_pool_processes(p), 2);
  std::string batch;
  for (int i = 0; i < 10; ++i) {
    std::string item = pack_int(i);
    auto n = static_cast<std::uint32_t>(item.size());
    batch.append(reinterpret_cast<const char*>(&n), sizeof n);
    batch += item;
  }
  mproc_result* r = nullptr;
  const std::string name = mproc::fn_t<&square>::name();
  ASSERT_EQ(mproc_pool_map_async(p, name.c_str(), batch.data(), batch.size(), 3, &r), MPROC_OK);
  EXPECT_EQ(mproc_result_count(r), 10u);
  EXPECT_EQ(mproc_result_parts(r), 4u);
  ASSERT_EQ(mproc_result_wait(r, 60000), MPROC_OK);
  EXPECT_EQ(mproc_result_ready(r), 1);
  for (std::size_t i = 0; i < 10; ++i) {
    const void* data = nullptr;
    std::size_t len = 0;
    ASSERT_EQ(mproc_result_get(r, i, 0, &data, &len), MPROC_OK);
    EXPECT_EQ(mproc::from_bytes<int>(data, len), static_cast<int>(i * i));
  }
  const void* data = nullptr;
  std::size_t len = 0;
  EXPECT_EQ(mproc_result_get(r, 10, 0, &data, &len), MPROC_E_RANGE);
  std::size_t done = 0, total = 0;
  EXPECT_EQ(mproc_result_progress(r, &done, &total), MPROC_OK);
  EXPECT_EQ(done, 10u);
  EXPECT_EQ(total, 10u);
  mproc_task_error e = MPROC_TASK_ERROR_INIT;
  ASSERT_EQ(mproc_result_error(r, &e), MPROC_OK);
  EXPECT_EQ(e.status, MPROC_OK);
  mproc_result_destroy(r);

  const std::string thrower = mproc::fn_t<&throw_runtime>::name();
  const std::string args = mproc::encode_args(std::string("from C"));
  ASSERT_EQ(mproc_pool_apply_async(p, thrower.c_str(), args.data(), args.size(), &r), MPROC_OK);
  EXPECT_EQ(mproc_result_get(r, 0, 60000, &data, &len), MPROC_E_REMOTE);
  ASSERT_EQ(mproc_result_error(r, &e), MPROC_OK);
  EXPECT_EQ(e.status, MPROC_E_REMOTE);
  EXPECT_STREQ(e.type, "std::runtime_error");
  EXPECT_STREQ(e.message, "from C");
  EXPECT_GT(e.pid, 0);
  mproc_result_destroy(r);
  mproc_pool_destroy(p);
}

std::string batch_of(int first, int last) {
  std::string batch;
  for (int i = first; i < last; ++i) {
    std::string item = pack_int(i);
    auto n = static_cast<std::uint32_t>(item.size());
    batch.append(reinterpret_cast<const char*>(&n), sizeof n);
    batch += item;
  }
  return batch;
}

TEST_P(PoolTest, CApiMapInPartsCompletesOnceEveryPartIsGiven) {
  mproc::Pool pool(options(2));
  const std::string name = mproc::fn_t<&square>::name();
  mproc_result* r = nullptr;
  EXPECT_EQ(mproc_pool_map_begin(pool.native_handle(), name.c_str(), 5, 6, &r), MPROC_E_INVAL);
  EXPECT_EQ(mproc_pool_map_begin(pool.native_handle(), name.c_str(), 5, 0, &r), MPROC_E_INVAL);
  ASSERT_EQ(mproc_pool_map_begin(pool.native_handle(), name.c_str(), 7, 3, &r), MPROC_OK);
  std::string first = batch_of(0, 3), too_many = batch_of(3, 8), second = batch_of(3, 5);
  ASSERT_EQ(mproc_pool_map_part(r, first.data(), first.size()), MPROC_OK);
  EXPECT_EQ(mproc_pool_map_part(r, too_many.data(), too_many.size()), MPROC_E_INVAL);
  EXPECT_NE(std::string(mproc_last_error()).find("part 2 of 3"), std::string::npos)
      << mproc_last_error();
  EXPECT_EQ(mproc_pool_map_part(r, "\1\0", 2), MPROC_E_DECODE);
  ASSERT_EQ(mproc_pool_map_part(r, second.data(), second.size()), MPROC_OK);
  EXPECT_EQ(mproc_result_wait(r, 50), MPROC_E_TIMEOUT) << "complete before its last part";
  std::string third = batch_of(5, 7);
  ASSERT_EQ(mproc_pool_map_part(r, third.data(), third.size()), MPROC_OK);
  EXPECT_EQ(mproc_pool_map_part(r, third.data(), third.size()), MPROC_E_STATE);
  ASSERT_EQ(mproc_result_wait(r, 60000), MPROC_OK);
  EXPECT_EQ(mproc_result_parts(r), 3u);
  for (std::size_t i = 0; i < 7; ++i) {
    const void* data = nullptr;
    std::size_t len = 0;
    ASSERT_EQ(mproc_result_get(r, i, 0, &data, &len), MPROC_OK);
    EXPECT_EQ(mproc::from_bytes<int>(data, len), static_cast<int>(i * i));
  }
  mproc_result_destroy(r);

  // A map begun and abandoned, or begun when the pool is terminated, fails instead of hanging.
  ASSERT_EQ(mproc_pool_map_begin(pool.native_handle(), name.c_str(), 4, 2, &r), MPROC_OK);
  mproc_result_destroy(r);
  ASSERT_EQ(mproc_pool_map_begin(pool.native_handle(), name.c_str(), 4, 2, &r), MPROC_OK);
  pool.close();
  EXPECT_FALSE(pool.join(milliseconds(50))) << "join did not wait for the begun map";
  pool.terminate();
  ASSERT_EQ(mproc_result_wait(r, 60000), MPROC_OK);
  mproc_task_error e = MPROC_TASK_ERROR_INIT;
  ASSERT_EQ(mproc_result_error(r, &e), MPROC_OK);
  EXPECT_EQ(e.status, MPROC_E_CLOSED);
  mproc_result_destroy(r);
}

TEST_P(PoolTest, CApiEventHandleBecomesReadableWhenAResultCompletes) {
  mproc_test::TempDir dir;
  mproc::Pool pool(options(2));
  const std::intptr_t h = pool.event_handle();
  pool.clear_event();
  auto r = pool.apply_async(mproc::fn<&released>, std::make_pair(dir.path(), 4));
  using mproc_test::platform::wait_readable;
  EXPECT_EQ(wait_readable(h, 50), 0) << "ready before any result completed";
  mproc_test::write_file(dir.file("go-4"), "");
  ASSERT_EQ(wait_readable(h, 60000), 1);
  pool.clear_event();
  EXPECT_TRUE(r.ready());
  EXPECT_EQ(r.get(), 4);
  EXPECT_EQ(wait_readable(h, 0), 0) << "still ready after clear";
  auto again = pool.apply_async(mproc::fn<&square>, 3);
  ASSERT_EQ(wait_readable(h, 60000), 1) << "not ready again after the next completion";
  EXPECT_EQ(again.get(seconds(60)), 9);
}

TEST_P(PoolTest, CApiWaitAnyGivesTheResultThatCompletedFirst) {
  mproc_test::TempDir dir;
  mproc::Pool pool(options(2));
  const std::string name = mproc::fn_t<&released>::name();
  mproc_result* rs[2] = {nullptr, nullptr};
  for (int i = 0; i < 2; ++i) {
    std::string args = mproc::encode_args(std::make_pair(dir.path(), i));
    ASSERT_EQ(mproc_pool_apply_async(pool.native_handle(), name.c_str(), args.data(), args.size(),
                                     &rs[i]),
              MPROC_OK);
  }
  std::size_t index = 9;
  EXPECT_EQ(mproc_result_wait_any(rs, 2, 30, &index), MPROC_E_TIMEOUT);
  mproc_test::write_file(dir.file("go-1"), "");
  ASSERT_EQ(mproc_result_wait_any(rs, 2, 60000, &index), MPROC_OK);
  EXPECT_EQ(index, 1u);
  mproc_test::write_file(dir.file("go-0"), "");
  ASSERT_EQ(mproc_result_wait(rs[0], 60000), MPROC_OK);
  ASSERT_EQ(mproc_result_wait_any(rs, 2, 0, &index), MPROC_OK);
  EXPECT_EQ(index, 1u) << "the earlier completion comes first";
  EXPECT_EQ(mproc_result_wait_any(rs, 0, 0, &index), MPROC_E_INVAL);
  for (auto* r : rs) mproc_result_destroy(r);
}

MPROC_INSTANTIATE_FOR_METHODS(PoolTest);

// ---- not per start method ----------------------------------------------------------------------

TEST(PoolRegistry, NamesWithTheMprocPrefixAreReserved) {
  EXPECT_EQ(mproc_register("mproc.pool.worker",
                           [](const void*, size_t, mproc_call*, void*) { return 0; }, nullptr),
            MPROC_E_INVAL);
  EXPECT_NE(std::string(mproc_last_error()).find("reserved"), std::string::npos);
}

TEST(PoolDefaults, ChunkSizeIsPythonsAndTheImapWindowIsFourPerWorker) {
  EXPECT_EQ(mproc::detail::default_chunksize(10, 2), 2u);
  EXPECT_EQ(mproc::detail::default_chunksize(1000000, 2), 125000u);
  EXPECT_EQ(mproc::detail::default_chunksize(0, 4), 1u);
  EXPECT_EQ(mproc::detail::default_imap_window(3), 12u);
}

}  // namespace
