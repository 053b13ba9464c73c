// Shared objects (Queue, Lock, Value, Pipe ends, ...) as a pool's initializer arguments and as task
// arguments, under every start method: the handles reach workers that are already running.
// Portable (compiles with mingw-w64): no POSIX header; a worker is killed with std::abort, and
// leaks are caught through Pipe ends, whose peer sees EOF only once no process holds a copy.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "support.h"

namespace psa {

using mproc_test::kJoinTimeout;
using Total = mproc::Value<std::int64_t>;
using Conn = mproc::Connection<std::string>;

constexpr auto kWait = std::chrono::seconds(60);

// ---- in the workers ----------------------------------------------------------------------------

// What the initializer hands the tasks (Python's `global lock` idiom).
struct Shared {
  mproc::Lock lock;
  Total total;
  mproc::Queue<int> out;
};
std::unique_ptr<Shared> g_shared;

void init_shared(mproc::Lock lock, Total total, mproc::Queue<int> out) {
  g_shared.reset(new Shared{std::move(lock), std::move(total), std::move(out)});
}

// Counts one under the lock and reports x on the queue.
void count_and_report(mproc::Lock& lock, Total& total, mproc::Queue<int>& out, int x) {
  {
    std::lock_guard<mproc::Lock> hold(lock);
    total.set(total.get() + 1);
  }
  out.put(x);
}

int record(int x) {
  if (!g_shared) throw std::runtime_error("the initializer's objects did not reach this worker");
  count_and_report(g_shared->lock, g_shared->total, g_shared->out, x);
  return x;
}

std::int64_t record_pid(int x) {
  record(x);
  return mproc::current_pid();
}

int record_into(mproc::Lock lock, Total total, mproc::Queue<int> out, int x) {
  count_and_report(lock, total, out, x);
  return x;
}

std::int64_t bump(Total v) { return v.fetch_add(1) + 1; }

std::int64_t greet(Conn c) {
  c.send("hello from " + std::to_string(mproc::current_pid()));
  return mproc::current_pid();
}

// Uses one of every other kind of shared object (the parent checks each effect).
int every_kind(mproc::SimpleQueue<int> sq, mproc::JoinableQueue<int> jq, mproc::RLock rl,
               mproc::Semaphore sem, mproc::Event ev, mproc::Condition cond, mproc::Barrier bar,
               mproc::Array<int> arr) {
  sq.put(1);
  jq.put(2);
  if (!rl.acquire(kWait) || !rl.acquire(kWait)) throw std::runtime_error("RLock not acquired");
  rl.release();
  rl.release();
  sem.release();
  ev.set();
  arr[0] = 5;
  if (!cond.acquire(kWait)) throw std::runtime_error("Condition not acquired");
  arr[1] = 7;
  cond.notify_all();
  cond.release();
  return static_cast<int>(bar.wait(kWait));
}

// Dies while it holds the task's handles (the Value's) and the initializer's.
int die_holding(Total v) {
  v.store(1);
  std::abort();
}

// A Pipe end whose codec opens its connection on import_handle (the handle stays the library's),
// unlike Connection's codec, which takes the handle over: the worker must close it after the task.
struct PeekedEnd {
  Conn conn;
};

void touch(PeekedEnd e) { (void)e; }
void touch_conn(Conn c) { (void)c; }

}  // namespace psa

template <>
struct mproc::codec<psa::PeekedEnd> {
  static void encode(std::string& out, const psa::PeekedEnd& e) {
    std::intptr_t h = -1;
    if (mproc_connection_handle(e.conn.native_handle(), &h) != MPROC_OK) {
      throw mproc::error(mproc::errc::invalid_argument, mproc_last_error());
    }
    mproc::encode(out, mproc::export_handle(h, "PeekedEnd"));
  }
  static psa::PeekedEnd decode(mproc::reader& in) {
    const std::intptr_t h = mproc::import_handle(mproc::decode<std::uint64_t>(in));
    mproc_connection_options o = MPROC_CONNECTION_OPTIONS_INIT;
    mproc_connection* c = nullptr;
    const int st = mproc_connection_open(h, &o, &c);
    if (st != MPROC_OK) throw mproc::error(st, mproc_last_error());
    return psa::PeekedEnd{psa::Conn(c)};
  }
};

namespace psa {

// ---- the C ABI: functions registered by name, handles read with mproc_inherited_handle ----------

mproc_value* g_c_total = nullptr;  // opened by c_init in each worker

int c_fail(mproc_call* call, const std::string& what) {
  mproc_call_fail(call, "c_test", (what + ": " + mproc_last_error()).c_str());
  return 1;
}

int c_init(const void*, size_t, mproc_call* call, void*) {
  intptr_t h = -1;
  if (mproc_inherited_handle(0, &h) != MPROC_OK) return c_fail(call, "init handle 0");
  if (mproc_value_open(h, MPROC_TYPE_I64, 0, &g_c_total) != MPROC_OK) return c_fail(call, "open");
  return 0;
}

// Adds 1 to the initializer's value and to the task's (its handle 0); fails if handle 1 exists.
int c_add(const void*, size_t, mproc_call* call, void*) {
  intptr_t h = -1;
  if (mproc_inherited_handle(0, &h) != MPROC_OK) return c_fail(call, "task handle 0");
  if (mproc_inherited_handle(1, &h) != MPROC_E_RANGE) return c_fail(call, "task handle 1 exists");
  if (mproc_inherited_handle(0, &h) != MPROC_OK) return c_fail(call, "task handle 0 again");
  mproc_value* v = nullptr;
  if (mproc_value_open(h, MPROC_TYPE_I64, 0, &v) != MPROC_OK) return c_fail(call, "open");
  int64_t before = 0;
  mproc_status st = mproc_value_atomic_fetch_add(v, 1, &before);
  mproc_value_destroy(v);
  if (st != MPROC_OK) return c_fail(call, "fetch_add");
  if (g_c_total == nullptr) return c_fail(call, "no initializer value");
  if (mproc_value_atomic_fetch_add(g_c_total, 1, &before) != MPROC_OK) return c_fail(call, "add");
  return 0;
}

const bool g_c_registered = [] {
  mproc_register("pool_shared_args.c_init", &c_init, nullptr);
  mproc_register("pool_shared_args.c_add", &c_add, nullptr);
  return true;
}();

// ---- the parent ----------------------------------------------------------------------------------

class PoolSharedArgsTest : public mproc_test::MethodTest {
 protected:
  mproc::PoolOptions options(int processes) const {
    mproc::PoolOptions o;
    o.processes = processes;
    o.context = ctx();
    return o;
  }

  // n tasks counted x = 0 .. n-1: the total is n and the queue holds each x once.
  static void expect_totals(const Total& total, mproc::Queue<int>& q, int n) {
    EXPECT_EQ(total.get(), n);
    std::multiset<int> got;
    for (int i = 0; i < n; ++i) got.insert(q.get(kWait));
    std::multiset<int> want;
    for (int i = 0; i < n; ++i) want.insert(i);
    EXPECT_EQ(got, want);
    EXPECT_TRUE(q.empty());
  }

  // The other end of a pipe end that went to a worker and was dropped everywhere: EOF, not a
  // timeout (some process still holding a copy would keep it open).
  static void expect_eof(Conn& here) {
    try {
      std::optional<std::string> v = here.recv(kWait);
      FAIL() << (v ? "got '" + *v + "'" : std::string("timed out")) << " instead of EOF";
    } catch (const mproc::error&) {
    }
  }
};

TEST_P(PoolSharedArgsTest, QueueLockAndValueAsInitializerArgumentsReachEveryTask) {
  mproc::Lock lock;
  Total total(0);
  mproc::Queue<int> q;
  {
    mproc::PoolOptions o = options(2);
    o.initializer = mproc::Initializer(mproc::fn<&init_shared>, lock, total, q);
    mproc::Pool pool(o);
    auto mapped = pool.map_async(mproc::fn<&record>, mproc::range(1, 20));
    auto applied = pool.apply_async(mproc::fn<&record>, 0);
    EXPECT_EQ(mapped.get(kWait).size(), 19u);
    EXPECT_EQ(applied.get(kWait), 0);
    pool.close();
    ASSERT_TRUE(pool.join(kJoinTimeout));
  }
  expect_totals(total, q, 20);
}

TEST_P(PoolSharedArgsTest, ReplacementWorkersGetTheInitializerArgumentsToo) {
  mproc::Lock lock;
  Total total(0);
  mproc::Queue<int> q;
  mproc::PoolOptions o = options(2);
  o.initializer = mproc::Initializer(mproc::fn<&init_shared>, lock, total, q);
  o.maxtasksperchild = 2;  // 12 tasks: at least 6 workers, 4 of them started after the pool
  mproc::Pool pool(o);
  std::vector<mproc::AsyncResult<std::int64_t>> results;
  for (int i = 0; i < 12; ++i) results.push_back(pool.apply_async(mproc::fn<&record_pid>, i));
  std::set<std::int64_t> pids;
  for (auto& r : results) pids.insert(r.get(kWait));
  EXPECT_GE(pids.size(), 6u);
  pool.close();
  ASSERT_TRUE(pool.join(kJoinTimeout));
  expect_totals(total, q, 12);
}

TEST_P(PoolSharedArgsTest, QueueLockAndValueAsApplyAsyncArguments) {
  mproc::Pool pool(options(2));
  mproc::Lock lock;
  Total total(0);
  mproc::Queue<int> q;
  std::vector<mproc::AsyncResult<int>> results;
  for (int i = 0; i < 10; ++i) {
    results.push_back(pool.apply_async(mproc::fn<&record_into>, lock, total, q, i));
  }
  for (int i = 0; i < 10; ++i) EXPECT_EQ(results[static_cast<size_t>(i)].get(kWait), i);
  expect_totals(total, q, 10);
}

TEST_P(PoolSharedArgsTest, QueueLockAndValueAsMapArguments) {
  mproc::Pool pool(options(2));
  mproc::Lock lock;
  Total total(0);
  mproc::Queue<int> q;
  std::vector<std::tuple<mproc::Lock, Total, mproc::Queue<int>, int>> args;
  for (int i = 0; i < 10; ++i) args.emplace_back(lock, total, q, i);
  auto r = pool.starmap_async(mproc::fn<&record_into>, args, 3);  // chunks of 3: 9 handles each
  EXPECT_EQ(r.get(kWait).size(), 10u);
  expect_totals(total, q, 10);

  // map and imap, one shared object per element: each element's Value is its own.
  std::vector<Total> values;
  for (int i = 0; i < 5; ++i) values.emplace_back(0);
  auto m = pool.map_async(mproc::fn<&bump>, values, 2);
  EXPECT_EQ(m.get(kWait), std::vector<std::int64_t>(5, 1));
  auto it = pool.imap(mproc::fn<&bump>, values);
  // Every chunk was submitted when imap began: wait (bounded) for their effect before reading.
  EXPECT_TRUE(mproc_test::eventually([&] {
    for (auto& v : values) {
      if (v.load() != 2) return false;
    }
    return true;
  }));
  std::vector<std::int64_t> seen;
  while (auto v = it.next()) seen.push_back(*v);
  EXPECT_EQ(seen, std::vector<std::int64_t>(5, 2));
}

TEST_P(PoolSharedArgsTest, EveryOtherKindOfSharedObjectAsATaskArgument) {
  mproc::Pool pool(options(1));
  mproc::SimpleQueue<int> sq;
  mproc::JoinableQueue<int> jq;
  mproc::RLock rl;
  mproc::Semaphore sem(0);
  mproc::Event ev;
  mproc::Condition cond;
  mproc::Barrier bar(2);
  mproc::Array<int> arr(2);
  auto r = pool.apply_async(mproc::fn<&every_kind>, sq, jq, rl, sem, ev, cond, bar, arr);
  ASSERT_TRUE(cond.acquire(kWait));
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (arr[1] != 7 && std::chrono::steady_clock::now() < deadline) {
    cond.wait(std::chrono::milliseconds(100));
  }
  cond.release();
  EXPECT_EQ(arr[1], 7);
  (void)bar.wait(kWait);  // the task is the other party
  EXPECT_GE(r.get(kWait), 0);
  EXPECT_EQ(sq.get(kWait), 1);
  EXPECT_EQ(jq.get(kWait), 2);
  jq.task_done();
  EXPECT_TRUE(sem.acquire(kWait));
  EXPECT_TRUE(ev.wait(kWait));
  EXPECT_EQ(arr[0], 5);
  EXPECT_TRUE(rl.acquire(kWait));  // released by the task
  rl.release();
}

TEST_P(PoolSharedArgsTest, APipeEndAsATaskArgumentReachesTheWorkerAndIsClosedAfter) {
  mproc::Pool pool(options(1));  // before the pipe: a forked worker holds no copy of it
  auto ends = mproc::Pipe<std::string>();
  Conn here = std::move(ends.first);
  std::int64_t pid = 0;
  {
    Conn there = std::move(ends.second);
    auto r = pool.apply_async(mproc::fn<&greet>, there);
    pid = r.get(kWait);
  }
  EXPECT_EQ(here.recv(kWait), std::optional<std::string>("hello from " + std::to_string(pid)));
  expect_eof(here);
}

TEST_P(PoolSharedArgsTest, AWorkerKilledHoldingHandlesFailsItsTaskAndItsReplacementHasThemAll) {
  mproc::Lock lock;
  Total total(0);
  mproc::Queue<int> q;
  mproc::PoolOptions o = options(1);
  o.initializer = mproc::Initializer(mproc::fn<&init_shared>, lock, total, q);
  mproc::Pool pool(o);
  Total touched(0);
  auto doomed = pool.apply_async(mproc::fn<&die_holding>, touched);
  EXPECT_THROW(doomed.get(kWait), mproc::worker_lost);
  EXPECT_EQ(touched.load(), 1);  // it ran, holding the task's handle
  // The replacement has the initializer's objects and takes new task arguments.
  EXPECT_EQ(pool.apply_async(mproc::fn<&record>, 0).get(kWait), 0);
  EXPECT_EQ(pool.apply_async(mproc::fn<&record_into>, lock, total, q, 1).get(kWait), 1);
  pool.close();
  ASSERT_TRUE(pool.join(kJoinTimeout));
  expect_totals(total, q, 2);
}

TEST_P(PoolSharedArgsTest, ThousandsOfTasksWithHandlesLeaveNoCopyOpen) {
  mproc::Pool pool(options(2));
  // Each end goes to a worker, then is dropped here: its peer sees EOF only if neither the pool
  // nor the worker kept a copy. Both codec paths: taken over (Connection) and left to the worker
  // to close (PeekedEnd).
  for (int i = 0; i < 600; ++i) {
    auto ends = mproc::Pipe<std::string>();
    Conn here = std::move(ends.first);
    {
      Conn there = std::move(ends.second);
      if (i % 2 == 0) {
        pool.apply_async(mproc::fn<&touch_conn>, there).get(kWait);
      } else {
        pool.apply_async(mproc::fn<&touch>, PeekedEnd{there}).get(kWait);
      }
    }
    expect_eof(here);
    if (HasFailure()) FAIL() << "after " << i << " tasks";
  }
  // 2000 handles in 200 chunks, with the worker's socket limit on handles in flight.
  Total total(0);
  std::vector<Total> same(2000, total);
  auto r = pool.map_async(mproc::fn<&bump>, same, 10);
  EXPECT_EQ(r.get(kWait).size(), 2000u);
  EXPECT_EQ(total.load(), 2000);
}

TEST_P(PoolSharedArgsTest, TheCApiAttachesHandlesToTheInitializerAndToTasks) {
  mproc_value* init_total = nullptr;
  mproc_value* task_total = nullptr;
  ASSERT_EQ(mproc_value_create(MPROC_TYPE_I64, 0, nullptr, nullptr, &init_total), MPROC_OK);
  ASSERT_EQ(mproc_value_create(MPROC_TYPE_I64, 0, nullptr, nullptr, &task_total), MPROC_OK);
  intptr_t init_h = -1, task_h = -1;
  ASSERT_EQ(mproc_value_handle(init_total, &init_h), MPROC_OK);
  ASSERT_EQ(mproc_value_handle(task_total, &task_h), MPROC_OK);

  mproc_pool_options o = MPROC_POOL_OPTIONS_INIT;
  o.processes = 2;
  o.start_method = static_cast<mproc_start_method>(GetParam());
  o.initializer = "pool_shared_args.c_init";
  o.init_handles = &init_h;
  o.init_handle_count = 1;
  mproc_pool* pool = nullptr;
  ASSERT_EQ(mproc_pool_create(&o, &pool), MPROC_OK) << mproc_last_error();

  std::vector<mproc_result*> results(5, nullptr);
  for (auto& r : results) {
    ASSERT_EQ(mproc_pool_apply_async_v2(pool, "pool_shared_args.c_add", nullptr, 0, &task_h, 1, &r),
              MPROC_OK)
        << mproc_last_error();
  }
  const char batch[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};  // three empty argument packs
  mproc_result* mapped = nullptr;
  ASSERT_EQ(mproc_pool_map_async_v2(pool, "pool_shared_args.c_add", batch, sizeof batch, 1, &task_h,
                                    1, &mapped),
            MPROC_OK)
      << mproc_last_error();
  results.push_back(mapped);
  mproc_result* parted = nullptr;
  ASSERT_EQ(mproc_pool_map_begin(pool, "pool_shared_args.c_add", 2, 1, &parted), MPROC_OK);
  ASSERT_EQ(mproc_pool_map_part_v2(parted, batch, 8, &task_h, 1), MPROC_OK) << mproc_last_error();
  results.push_back(parted);
  const int64_t wait_ms = std::chrono::milliseconds(kWait).count();
  for (mproc_result* r : results) {
    EXPECT_EQ(mproc_result_wait(r, wait_ms), MPROC_OK);
    const void* data = nullptr;
    size_t len = 0;
    EXPECT_EQ(mproc_result_get(r, 0, 0, &data, &len), MPROC_OK) << mproc_last_error();
    mproc_result_destroy(r);
  }
  int64_t n = 0;
  EXPECT_EQ(mproc_value_atomic_load(task_total, &n), MPROC_OK);
  EXPECT_EQ(n, 5 + 3 + 2);
  EXPECT_EQ(mproc_value_atomic_load(init_total, &n), MPROC_OK);
  EXPECT_EQ(n, 5 + 3 + 2);

  // Bad input: a count without handles, a handle that is not one, too many initializer handles.
  mproc_result* r = nullptr;
  EXPECT_EQ(mproc_pool_apply_async_v2(pool, "pool_shared_args.c_add", nullptr, 0, nullptr, 1, &r),
            MPROC_E_INVAL);
  const intptr_t bogus = 987654;
  EXPECT_EQ(mproc_pool_apply_async_v2(pool, "pool_shared_args.c_add", nullptr, 0, &bogus, 1, &r),
            MPROC_E_OS);
  EXPECT_NE(std::string(mproc_last_error()).find("handle 0"), std::string::npos)
      << mproc_last_error();
  EXPECT_EQ(r, nullptr);
  mproc_pool_close(pool);
  EXPECT_EQ(mproc_pool_join(pool, wait_ms), MPROC_OK);
  mproc_pool_destroy(pool);

  std::vector<intptr_t> many(MPROC_POOL_MAX_INIT_HANDLES + 1, init_h);
  mproc_pool_options big = o;
  big.init_handles = many.data();
  big.init_handle_count = many.size();
  EXPECT_EQ(mproc_pool_create(&big, &pool), MPROC_E_RANGE);
  big.init_handles = nullptr;
  big.init_handle_count = 1;
  EXPECT_EQ(mproc_pool_create(&big, &pool), MPROC_E_INVAL);
  mproc_value_destroy(init_total);
  mproc_value_destroy(task_total);
}

MPROC_INSTANTIATE_FOR_METHODS(PoolSharedArgsTest);

}  // namespace psa
