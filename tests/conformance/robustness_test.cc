// Faults a multiprocessing user does not expect (issue 15, items 9-11 and 13): huge timeouts, a
// pool size typed wrong, sizes that cannot be objects in memory through the C ABI, and the smaller
// gaps (a huge queue buffer, mproc_wait on nothing, mproc_init with a negative argc, opening a
// queue with the kind 0 that creating one accepts, the progress bar's output).
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

namespace robustness_test {

using namespace std::chrono_literals;

constexpr auto kForever = std::chrono::milliseconds(INT64_MAX);  // what C callers pass
constexpr auto kHoursMax = std::chrono::hours::max();           // what C++ callers write

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- children -----------------------------------------------------------------------------------

void put_later(mproc::Queue<int> q, int value) {
  std::this_thread::sleep_for(100ms);
  q.put(value);
}

void get_later(mproc::Queue<int> q, mproc::Queue<int> seen) {
  std::this_thread::sleep_for(100ms);
  seen.put(q.get(60s));
}

void take_and_mark_done_later(mproc::JoinableQueue<int> q) {
  std::this_thread::sleep_for(100ms);
  (void)q.get(60s);
  q.task_done();
}

void send_later(mproc::Connection<int> c, int value) {
  std::this_thread::sleep_for(100ms);
  c.send(value);
}

int slow_seven() {
  std::this_thread::sleep_for(100ms);
  return 7;
}

void expect_clean_exit(mproc::Process& p) {
  ASSERT_TRUE(p.join(mproc_test::kJoinTimeout)) << "child did not end";
  EXPECT_EQ(p.exitcode(), 0) << p.failure().value_or("(no failure reported)");
}

// ---- 9. huge timeouts wait instead of timing out at once ----------------------------------------

class HugeTimeoutTest : public mproc_test::MethodTest {};
MPROC_INSTANTIATE_FOR_METHODS(HugeTimeoutTest);

TEST_P(HugeTimeoutTest, QueueGetWithInt64MaxWaitsForTheItem) {
  mproc::Queue<int> q;
  mproc::Process p(ctx(), mproc::fn<&put_later>, q, 42);
  p.start();
  EXPECT_EQ(q.get(kForever), 42);
  expect_clean_exit(p);
}

TEST_P(HugeTimeoutTest, QueueGetWithHoursMaxWaitsForTheItem) {
  mproc::Queue<int> q;
  mproc::Process p(ctx(), mproc::fn<&put_later>, q, 43);
  p.start();
  EXPECT_EQ(q.get(kHoursMax), 43);
  expect_clean_exit(p);
}

TEST_P(HugeTimeoutTest, QueuePutWithInt64MaxWaitsForRoom) {
  mproc::Queue<int> q(1), seen;
  q.put(1);
  mproc::Process p(ctx(), mproc::fn<&get_later>, q, seen);
  p.start();
  EXPECT_TRUE(q.try_put_for(2, kForever));  // blocks until the child takes 1
  EXPECT_EQ(seen.get(60s), 1);
  EXPECT_EQ(q.get(60s), 2);
  expect_clean_exit(p);
}

TEST_P(HugeTimeoutTest, JoinableQueueJoinWithInt64MaxWaitsForTaskDone) {
  mproc::JoinableQueue<int> q;
  q.put(5);
  mproc::Process p(ctx(), mproc::fn<&take_and_mark_done_later>, q);
  p.start();
  EXPECT_TRUE(q.join(kForever));
  expect_clean_exit(p);
}

TEST_P(HugeTimeoutTest, AsyncResultWaitAndGetWithInt64MaxWaitForTheTask) {
  mproc::Pool pool(1, {}, 0, ctx());
  auto r = pool.apply_async(mproc::fn<&slow_seven>);
  EXPECT_TRUE(r.wait(kForever));
  EXPECT_EQ(r.get(kHoursMax), 7);
  auto s = pool.apply_async(mproc::fn<&slow_seven>);
  EXPECT_EQ(s.get(kForever), 7);
  pool.close();
  EXPECT_TRUE(pool.join(kForever));
}

TEST_P(HugeTimeoutTest, ProcessJoinWithInt64MaxWaitsForTheChild) {
  mproc::Queue<int> q;
  mproc::Process p(ctx(), mproc::fn<&put_later>, q, 1);
  p.start();
  EXPECT_TRUE(p.join(kForever));
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_TRUE(p.join(kHoursMax));
  EXPECT_EQ(q.get(60s), 1);
}

TEST_P(HugeTimeoutTest, PipeRecvAndWaitWithInt64MaxWaitForTheMessage) {
  auto [here, there] = mproc::Pipe<int>();
  mproc::Process p(ctx(), mproc::fn<&send_later>, there, 8);
  p.start();
  const intptr_t handle = here.fileno();
  size_t ready[1] = {99};
  size_t n = 0;
  EXPECT_EQ(mproc_wait(&handle, 1, INT64_MAX, ready, &n), MPROC_OK) << mproc_last_error();
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(here.recv(kForever), 8);
  mproc::Process q(ctx(), mproc::fn<&send_later>, there, 9);
  q.start();
  EXPECT_EQ(here.recv(kHoursMax), 9);  // blocks in the receive itself
  expect_clean_exit(p);
  expect_clean_exit(q);
}

TEST(HugeTimeout, CQueueCallsWithInt64MaxAreNeverTimedOut) {
  mproc_queue_options o = MPROC_QUEUE_OPTIONS_INIT;
  o.kind = MPROC_QUEUE_KIND_JOINABLE;
  mproc_queue* q = nullptr;
  ASSERT_EQ(mproc_queue_create(&o, &q), MPROC_OK) << mproc_last_error();
  const int v = 9;
  EXPECT_EQ(mproc_queue_put(q, &v, sizeof v, INT64_MAX), MPROC_OK) << mproc_last_error();
  int got = 0;
  size_t len = 0;
  EXPECT_EQ(mproc_queue_get(q, &got, sizeof got, &len, INT64_MAX), MPROC_OK) << mproc_last_error();
  EXPECT_EQ(got, 9);
  EXPECT_EQ(mproc_queue_task_done(q), MPROC_OK);
  EXPECT_EQ(mproc_queue_join(q, INT64_MAX), MPROC_OK) << mproc_last_error();
  mproc_queue_destroy(q);
}

TEST(HugeTimeout, ReadyObjectsReturnAtOnceWithInt64Max) {
  mproc::Lock lock;
  EXPECT_TRUE(lock.acquire(kForever));
  lock.release();
  EXPECT_TRUE(lock.try_lock_for(kHoursMax));
  lock.unlock();

  mproc::RLock rlock;
  EXPECT_TRUE(rlock.acquire(kForever));
  rlock.release();

  mproc::Semaphore sem(1);
  EXPECT_TRUE(sem.acquire(kForever));
  sem.release();

  mproc::Event ev;
  ev.set();
  EXPECT_TRUE(ev.wait(kForever));
  EXPECT_TRUE(ev.wait(kHoursMax));

  mproc::Condition cond;
  cond.acquire();
  EXPECT_TRUE(cond.wait_for([] { return true; }, kHoursMax));
  cond.release();

  mproc::Barrier barrier(1);
  EXPECT_EQ(barrier.wait(kForever), 0u);
  mproc::Barrier barrier_default(1, kHoursMax);
  EXPECT_EQ(barrier_default.wait(), 0u);

  mproc_value* v = nullptr;
  ASSERT_EQ(mproc_value_create(MPROC_TYPE_I64, 8, nullptr, nullptr, &v), MPROC_OK);
  const int64_t seven = 7;
  int64_t got = 0;
  EXPECT_EQ(mproc_value_set(v, &seven, INT64_MAX), MPROC_OK) << mproc_last_error();
  EXPECT_EQ(mproc_value_get(v, &got, INT64_MAX), MPROC_OK) << mproc_last_error();
  EXPECT_EQ(got, 7);
  mproc_value_destroy(v);

  auto [a, b] = mproc::Pipe<int>();
  b.send(3);
  EXPECT_TRUE(a.poll(kForever));
  EXPECT_EQ(a.recv(kForever), 3);

  b.send(4);
  const intptr_t handle = a.fileno();
  size_t ready[1] = {99};
  size_t n = 0;
  EXPECT_EQ(mproc_wait(&handle, 1, INT64_MAX, ready, &n), MPROC_OK) << mproc_last_error();
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(a.recv(kForever), 4);
}

TEST(HugeTimeout, ThreadPoolResultsAndJoinWithHugeTimeouts) {
  mproc::ThreadPool pool(1);
  auto r = pool.apply_async([] {
    std::this_thread::sleep_for(50ms);
    return 11;
  });
  EXPECT_TRUE(r.wait(kForever));
  EXPECT_EQ(r.get(kHoursMax), 11);
  pool.close();
  EXPECT_TRUE(pool.join(kForever));
}

// ---- 10. a pool size beyond the documented limit is refused -------------------------------------

TEST(PoolSizeLimit, CPoolAboveTheLimitIsRefusedNamingPoolAndLimit) {
  for (int processes : {MPROC_POOL_MAX_PROCESSES + 1, INT_MAX}) {
    mproc_pool_options o = MPROC_POOL_OPTIONS_INIT;
    o.processes = processes;
    o.name = "huge-pool";
    mproc_pool* pool = nullptr;
    EXPECT_EQ(mproc_pool_create(&o, &pool), MPROC_E_INVAL);
    EXPECT_EQ(pool, nullptr);
    const std::string why = mproc_last_error();
    EXPECT_TRUE(contains(why, "huge-pool")) << why;
    EXPECT_TRUE(contains(why, std::to_string(MPROC_POOL_MAX_PROCESSES))) << why;
  }
}

TEST(PoolSizeLimit, CppPoolAndThreadPoolAboveTheLimitThrowInvalidArgument) {
  try {
    mproc::Pool pool(INT_MAX);
    FAIL() << "Pool(INT_MAX) was accepted";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::invalid_argument);
    EXPECT_TRUE(contains(e.what(), std::to_string(MPROC_POOL_MAX_PROCESSES))) << e.what();
  }
  try {
    mproc::ThreadPool pool(INT_MAX);
    FAIL() << "ThreadPool(INT_MAX) was accepted";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::invalid_argument);
    EXPECT_TRUE(contains(e.what(), std::to_string(MPROC_POOL_MAX_PROCESSES))) << e.what();
  }
}

TEST(PoolSizeLimit, ThreadPoolAtTheLimitStillWorks) {
  mproc::ThreadPool pool(MPROC_POOL_MAX_PROCESSES);
  EXPECT_EQ(pool.processes(), MPROC_POOL_MAX_PROCESSES);
  EXPECT_EQ(pool.apply([] { return 5; }), 5);
}

// ---- 11. sizes that no object can have: a status, never an exception through the C ABI ----------

TEST(CAbiSizes, ProcessCreateWithSizeMaxArgsLenIsInvalidArgument) {
  const char args[1] = {0};
  mproc_process* p = nullptr;
  // A registered name, so that nothing but the length is wrong (the process used to abort here,
  // std::length_error escaping from a std::string of SIZE_MAX bytes).
  EXPECT_EQ(mproc_process_create(mproc::fn_t<&slow_seven>::name().c_str(), args, SIZE_MAX,
                                 nullptr, &p),
            MPROC_E_INVAL);
  EXPECT_EQ(p, nullptr);
  EXPECT_TRUE(contains(mproc_last_error(), "args_len")) << mproc_last_error();
}

TEST(CAbiSizes, WaitWithSizeMaxCountIsInvalidArgument) {
  intptr_t handles[1] = {0};
  size_t ready[1] = {0};
  size_t n = 7;
  EXPECT_EQ(mproc_wait(handles, SIZE_MAX, 0, ready, &n), MPROC_E_INVAL);
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(contains(mproc_last_error(), "count")) << mproc_last_error();
}

TEST(CAbiSizes, PoolCallsWithSizeMaxLengthsAreInvalidArgument) {
  const char bytes[1] = {0};
  mproc_pool_options o = MPROC_POOL_OPTIONS_INIT;
  o.processes = 1;
  o.initargs = bytes;
  o.initargs_len = SIZE_MAX;
  mproc_pool* pool = nullptr;
  EXPECT_EQ(mproc_pool_create(&o, &pool), MPROC_E_INVAL);
  EXPECT_TRUE(contains(mproc_last_error(), "initargs_len")) << mproc_last_error();

  o = MPROC_POOL_OPTIONS_INIT;
  o.processes = 1;
  ASSERT_EQ(mproc_pool_create(&o, &pool), MPROC_OK) << mproc_last_error();
  mproc_result* r = nullptr;
  const char* fn = mproc::fn_t<&slow_seven>::name().c_str();
  EXPECT_EQ(mproc_pool_apply_async(pool, fn, bytes, SIZE_MAX, &r), MPROC_E_TOO_BIG);
  EXPECT_EQ(mproc_pool_map_async(pool, fn, bytes, SIZE_MAX, 0, &r), MPROC_E_INVAL);
  EXPECT_TRUE(contains(mproc_last_error(), "batch_len")) << mproc_last_error();
  EXPECT_EQ(mproc_pool_map_begin(pool, fn, SIZE_MAX, SIZE_MAX, &r),
            MPROC_E_INVAL);
  EXPECT_TRUE(contains(mproc_last_error(), "parts")) << mproc_last_error();
  mproc_result* results[1] = {nullptr};
  size_t index = 0;
  EXPECT_EQ(mproc_result_wait_any(results, SIZE_MAX, 0, &index), MPROC_E_INVAL);
  EXPECT_EQ(mproc_pool_terminate(pool), MPROC_OK);
  mproc_pool_destroy(pool);
}

TEST(CAbiSizes, QueuePutAndPipeSendWithSizeMaxLengthFailWithAStatus) {
  mproc_queue* q = nullptr;
  ASSERT_EQ(mproc_queue_create(nullptr, &q), MPROC_OK) << mproc_last_error();
  const char bytes[1] = {0};
  EXPECT_EQ(mproc_queue_put(q, bytes, SIZE_MAX, 0), MPROC_E_TOO_BIG);
  mproc_queue_destroy(q);
  // The pipe used to hand SIZE_MAX to sendmsg, which read past the caller's byte (EFAULT).

  mproc_connection* a = nullptr;
  mproc_connection* b = nullptr;
  ASSERT_EQ(mproc_pipe_create(1, nullptr, &a, &b), MPROC_OK) << mproc_last_error();
  EXPECT_EQ(mproc_connection_send_bytes(a, bytes, SIZE_MAX, 0), MPROC_E_INVAL);
  EXPECT_TRUE(contains(mproc_last_error(), "len")) << mproc_last_error();
  mproc_connection_destroy(a);
  mproc_connection_destroy(b);
}

TEST(CAbiSizes, ArrayOfSizeMaxElementsIsRefusedWithAStatus) {
  mproc_array* arr = nullptr;
  const mproc_status st = mproc_array_create(MPROC_TYPE_I64, 8, SIZE_MAX, nullptr, nullptr, &arr);
  EXPECT_TRUE(st == MPROC_E_INVAL || st == MPROC_E_RANGE || st == MPROC_E_NOMEM)
      << mproc_error_name(st);
  EXPECT_EQ(arr, nullptr);
}

// ---- 13. smaller gaps ---------------------------------------------------------------------------

TEST(SmallGaps, QueueBufferOfOneTebibyteIsRefused) {
  mproc_queue_options o = MPROC_QUEUE_OPTIONS_INIT;
  o.buffer_size = size_t{1} << 40;
  mproc_queue* q = nullptr;
  EXPECT_EQ(mproc_queue_create(&o, &q), MPROC_E_INVAL);
  EXPECT_EQ(q, nullptr);
  EXPECT_TRUE(contains(mproc_last_error(), "buffer_size")) << mproc_last_error();
}

// Python's wait([], timeout) sleeps the timeout and returns []: MPROC_OK, nothing ready, and
// never before the timeout has passed (a lower bound only: a sleep may end late, never early).
TEST(SmallGaps, WaitOnNoHandlesWithATimeoutSleepsItThenReportsNothingReady) {
  size_t n = 7;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(mproc_wait(nullptr, 0, 50, nullptr, &n), MPROC_OK) << mproc_last_error();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(mproc_wait(nullptr, 0, 0, nullptr, &n), MPROC_OK);
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(mproc::wait(std::vector<mproc::waitable>{}, 20ms).empty());
}

TEST(SmallGaps, InitWithNegativeArgcIsInvalidArgument) {
  EXPECT_EQ(mproc_init(-1, nullptr), MPROC_E_INVAL);
  EXPECT_TRUE(contains(mproc_last_error(), "argc")) << mproc_last_error();
}

TEST(SmallGaps, QueueOpenAcceptsKindZeroAsCreateDoes) {
  mproc_queue_options o = MPROC_QUEUE_OPTIONS_INIT;  // kind 0: a Queue
  mproc_queue* q = nullptr;
  ASSERT_EQ(mproc_queue_create(&o, &q), MPROC_OK) << mproc_last_error();
  intptr_t h = 0;
  ASSERT_EQ(mproc_queue_handle(q, &h), MPROC_OK);
  mproc_queue* again = nullptr;
  ASSERT_EQ(mproc_queue_open(h, 0, nullptr, &again), MPROC_OK) << mproc_last_error();
  EXPECT_EQ(mproc_queue_kind_of(again), MPROC_QUEUE_KIND_QUEUE);
  const int v = 3;
  ASSERT_EQ(mproc_queue_put(again, &v, sizeof v, 0), MPROC_OK);
  int got = 0;
  size_t len = 0;
  EXPECT_EQ(mproc_queue_get(q, &got, sizeof got, &len, 1000), MPROC_OK) << mproc_last_error();
  EXPECT_EQ(got, 3);
  mproc_queue_destroy(again);
  mproc_queue_destroy(q);
}

std::string drawn(const std::function<void(std::FILE*)>& draw) {
  std::FILE* f = std::tmpfile();
  if (f == nullptr) return "(no tmpfile)";
  draw(f);
  std::fflush(f);
  std::rewind(f);
  std::string text;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  std::fclose(f);
  return text;
}

size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(SmallGaps, ProgressBarToAFileWritesPlainLinesWithoutRedraws) {
  const std::string text = drawn([](std::FILE* f) {
    mproc::ProgressBar bar(3, "files", f);
    bar.update();
    bar.update();
    bar.update();
  });
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_EQ(count_of(text, "3/3"), 1u) << text;  // the final line once
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << text;
}

TEST(SmallGaps, ProgressBarDrawsItsFinalLineOnceOnClose) {
  const std::string text = drawn([](std::FILE* f) {
    mproc::ProgressBar bar(2, "", f);
    bar.set(2);
    bar.close();
    bar.close();
  });
  EXPECT_EQ(count_of(text, "2/2"), 1u) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << text;
}

}  // namespace robustness_test
