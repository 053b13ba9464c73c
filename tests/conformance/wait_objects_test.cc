// mproc::wait / mproc_wait over shared objects' wait handles (Queue, Event, Semaphore, Lock, a
// process Pool's AsyncResult) mixed with connections and process sentinels; readiness changed by
// another process, readiness undone before the waiter looks, the watcher limit, a watcher process
// that dies, and the C API's errors — under every start method where a child is involved.
// No POSIX header: this file builds for Win32 too.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "support.h"

namespace wait_objects_test {

using indices = std::vector<std::size_t>;
using StrConn = mproc::Connection<std::string>;
constexpr auto kWait = std::chrono::seconds(30);
constexpr auto kBrief = std::chrono::milliseconds(50);

void put_when_told(mproc::Queue<int> q, mproc::Event go, int value) {
  if (!go.wait(kWait)) mproc::exit(2);
  q.put(value);
}

void set_it(mproc::Event e) { e.set(); }

// Waits in the child, on a queue the parent puts to; reports what mproc::wait said.
void wait_for_a_message(mproc::Queue<int> q, mproc::Queue<int> report, mproc::Event waiting) {
  bool nothing_yet = mproc::wait({q}, kBrief).empty();
  waiting.set();
  bool then_ready = mproc::wait({q}, kWait) == indices{0};
  report.put(nothing_yet && then_ready ? 1 : 0);
}

void get_one(mproc::Queue<int> q, mproc::Queue<int> out) {
  std::optional<int> v = q.get(kWait);
  if (!v) mproc::exit(2);
  out.put(*v);
}

void end_when_told(StrConn conn) {
  std::optional<std::string> m = conn.recv(kWait);
  mproc::exit(m ? 0 : 2);
}

// Takes a wait handle onto q and dies without closing it (mproc::exit runs no destructors).
void watch_then_die(mproc::Queue<int> q, mproc::Event watching) {
  (void)q.wait_handle();
  watching.set();
  mproc::exit(0);
}

void release_when_told(mproc::Semaphore s, mproc::Event go) {
  if (!go.wait(kWait)) mproc::exit(2);
  s.release();
}

void hold_until_told(mproc::Lock l, mproc::Event held, mproc::Event go) {
  l.acquire();
  held.set();
  bool told = go.wait(kWait);
  l.release();
  mproc::exit(told ? 0 : 2);
}

void die_holding(mproc::Lock l) {
  l.acquire();
  mproc::exit(0);
}

// Pool tasks cannot take shared objects as arguments yet, so this one is told through a file.
int answer_when_file_exists(std::string path) {
  bool seen = mproc_test::eventually([&] { return mproc_test::file_exists(path); }, kWait);
  return seen ? 42 : -1;
}

}  // namespace wait_objects_test

namespace {

using namespace wait_objects_test;
using mproc_test::kJoinTimeout;

class WaitObjectsTest : public mproc_test::MethodTest {};

TEST_P(WaitObjectsTest, QueueIsReadyAfterAChildPutsAndNotBefore) {
  mproc::Queue<int> q;
  mproc::Event go;
  mproc::Process p(ctx(), mproc::fn<&put_when_told>, q, go, 7);
  p.start();
  EXPECT_EQ(mproc::wait({q}, kBrief), indices{});  // empty: the timeout passes
  go.set();
  EXPECT_EQ(mproc::wait({q}, kWait), indices{0});
  EXPECT_EQ(q.get(std::chrono::milliseconds(0)), std::optional<int>(7));
  EXPECT_EQ(mproc::wait({q}, kBrief), indices{});  // taken: not ready any more
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_P(WaitObjectsTest, AChildWaitsOnAQueueTheParentPutsTo) {
  mproc::Queue<int> q, report;
  mproc::Event waiting;
  mproc::Process p(ctx(), mproc::fn<&wait_for_a_message>, q, report, waiting);
  p.start();
  ASSERT_TRUE(waiting.wait(kWait));
  q.put(3);
  EXPECT_EQ(report.get(kWait), std::optional<int>(1));
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_P(WaitObjectsTest, EventSetByAChildEndsTheWait) {
  mproc::Event e;
  EXPECT_EQ(mproc::wait({e}, kBrief), indices{});
  mproc::Process p(ctx(), mproc::fn<&set_it>, e);
  p.start();
  EXPECT_EQ(mproc::wait({e}, kWait), indices{0});
  EXPECT_TRUE(e.is_set());
  ASSERT_TRUE(p.join(kJoinTimeout));
  e.clear();
  EXPECT_EQ(mproc::wait({e}, kBrief), indices{});  // cleared: not ready
}

TEST_P(WaitObjectsTest, FullQueuePutHandleIsReadyOnceAChildGets) {
  mproc::Queue<int> q(1);
  mproc::Queue<int> out;
  q.put(1);
  mproc::waitable room = mproc::waitable::from_handle(q.wait_handle_for_put());
  EXPECT_EQ(mproc::wait({room}, kBrief), indices{});  // full
  mproc::Process p(ctx(), mproc::fn<&get_one>, q, out);
  p.start();
  EXPECT_EQ(mproc::wait({room}, kWait), indices{0});
  EXPECT_TRUE(q.try_put(2));
  EXPECT_EQ(mproc::wait({room}, kBrief), indices{});  // full again
  EXPECT_EQ(out.get(kWait), std::optional<int>(1));
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_P(WaitObjectsTest, MixedListReturnsTheReadyIndices) {
  mproc::Queue<int> q;
  mproc::Event e;
  StrConn a, b, ctl_here, ctl_there;
  std::tie(a, b) = mproc::Pipe<std::string>();
  std::tie(ctl_here, ctl_there) = mproc::Pipe<std::string>();
  mproc::Process p(ctx(), mproc::fn<&end_when_told>, ctl_there);
  p.start();
  ctl_there.close();

  EXPECT_EQ(mproc::wait({q, e, b, p}, kBrief), indices{});
  e.set();
  EXPECT_EQ(mproc::wait({q, e, b, p}, kWait), indices{1});
  q.put(5);
  a.send("hi");
  EXPECT_EQ(mproc::wait({q, e, b, p}, kWait), (indices{0, 1, 2}));
  e.clear();
  EXPECT_EQ(q.get(kWait), std::optional<int>(5));
  EXPECT_EQ(mproc::wait({q, e, b, p}, kWait), indices{2});
  EXPECT_EQ(b.recv(kWait), std::optional<std::string>("hi"));
  ctl_here.send("end");
  EXPECT_EQ(mproc::wait({q, e, b, p}, kWait), indices{3});
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_P(WaitObjectsTest, SemaphoreIsReadyOnceAChildReleases) {
  mproc::Semaphore s(0);
  mproc::Event go;
  mproc::Process p(ctx(), mproc::fn<&release_when_told>, s, go);
  p.start();
  EXPECT_EQ(mproc::wait({s}, kBrief), indices{});
  go.set();
  EXPECT_EQ(mproc::wait({s}, kWait), indices{0});
  EXPECT_TRUE(s.acquire(false));
  EXPECT_EQ(mproc::wait({s}, kBrief), indices{});
  ASSERT_TRUE(p.join(kJoinTimeout));
}

TEST_P(WaitObjectsTest, LockIsReadyOnceTheChildHoldingItReleases) {
  mproc::Lock l;
  mproc::Event held, go;
  EXPECT_EQ(mproc::wait({l}, kBrief), indices{0});  // free
  mproc::Process p(ctx(), mproc::fn<&hold_until_told>, l, held, go);
  p.start();
  ASSERT_TRUE(held.wait(kWait));
  EXPECT_EQ(mproc::wait({l}, kBrief), indices{});  // held by the child
  go.set();
  EXPECT_EQ(mproc::wait({l}, kWait), indices{0});
  EXPECT_TRUE(l.acquire(false));
  l.release();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_P(WaitObjectsTest, LockHeldByADeadProcessIsReady) {
  mproc::Lock l;
  mproc::Process p(ctx(), mproc::fn<&die_holding>, l);
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  // Nobody signals a death: the wait notices it by looking again.
  EXPECT_EQ(mproc::wait({l}, kWait), indices{0});
  EXPECT_THROW(l.acquire(false), mproc::owner_died);  // an acquire gets it, and is told
  l.mark_consistent();
  l.release();
}

TEST_P(WaitObjectsTest, PoolResultIsReadyWhenItsTaskIsDone) {
  mproc::PoolOptions o;
  o.processes = 1;
  o.context = ctx();
  mproc::Pool pool(o);
  mproc_test::TempDir dir;
  auto r = pool.apply_async(mproc::fn<&answer_when_file_exists>, dir.file("go"));
  EXPECT_EQ(mproc::wait({r}, kBrief), indices{});
  mproc_test::write_file(dir.file("go"), "go");
  EXPECT_EQ(mproc::wait({r}, kWait), indices{0});
  EXPECT_EQ(r.get(kWait), 42);
  EXPECT_EQ(mproc::wait({r}, kBrief), indices{0});  // and stays ready
}

TEST_P(WaitObjectsTest, SlotOfAWatcherThatDiedIsReclaimed) {
  mproc::Queue<int> q;
  mproc::Event watching;
  mproc::Process p(ctx(), mproc::fn<&watch_then_die>, q, watching);
  p.start();
  ASSERT_TRUE(watching.wait(kWait));
  ASSERT_TRUE(p.join(kJoinTimeout));
  q.put(1);  // signals the dead watcher's key: it is found gone and dropped
  // Every one of the slots is free again for this process's handles.
  std::vector<mproc::Queue<int>> opened;
  for (int i = 0; i < 16; ++i) {
    opened.push_back(mproc::Queue<int>::open(q.handle()));
    EXPECT_NO_THROW((void)opened.back().wait_handle()) << "handle " << i;
  }
  EXPECT_EQ(mproc::wait({opened[0]}, kWait), indices{0});
}

MPROC_INSTANTIATE_FOR_METHODS(WaitObjectsTest);

TEST(WaitObjects, ReadinessUndoneBeforeTheWaiterLooksIsNotReported) {
  mproc::Queue<int> q;
  mproc::Queue<int> other = mproc::Queue<int>::open(q.handle());  // another consumer
  std::intptr_t h = q.wait_handle();
  other.put(1);
  EXPECT_EQ(other.get(kWait), std::optional<int>(1));  // taken before the waiter looks
  // The handle was signalled, but the queue is empty: the wait goes on until its timeout.
  EXPECT_EQ(mproc::wait({q}, std::chrono::milliseconds(100)), indices{});
  int ready = 7;
  ASSERT_EQ(mproc_wait_handle_rearm(h, &ready), MPROC_OK);
  EXPECT_EQ(ready, 0);
  other.put(2);
  ASSERT_EQ(mproc_wait_handle_rearm(h, &ready), MPROC_OK);
  EXPECT_EQ(ready, 1);
  ASSERT_EQ(mproc_wait_handle_rearm(h, &ready), MPROC_OK);  // still ready: left readable
  EXPECT_EQ(ready, 1);
  EXPECT_EQ(mproc::wait({mproc::waitable::from_handle(h)}, kWait), indices{0});
  EXPECT_EQ(q.get(kWait), std::optional<int>(2));
}

TEST(WaitObjects, AWaitHandleIsMadeOnceAndKeptByItsObject) {
  mproc::Queue<int> q;
  mproc::SimpleQueue<int> sq;
  mproc::JoinableQueue<int> jq;
  EXPECT_EQ(q.wait_handle(), q.wait_handle());
  sq.put(1);
  jq.put(2);
  EXPECT_EQ(mproc::wait({q, sq, jq}, kWait), (indices{1, 2}));
}

TEST(WaitObjects, MoreWatchersThanSlotsIsAClearError) {
  mproc::Queue<int> q(0);
  std::vector<mproc::Queue<int>> opened;
  for (int i = 0; i < 16; ++i) {
    opened.push_back(mproc::Queue<int>::open(q.handle()));
    ASSERT_NO_THROW((void)opened.back().wait_handle()) << "handle " << i;
  }
  try {
    (void)q.wait_handle();
    ADD_FAILURE() << "a 17th wait handle was given";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::out_of_range);
    EXPECT_NE(std::string(e.what()).find(q.describe()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("16"), std::string::npos) << e.what();
  }
  opened.pop_back();  // closing one frees its slot
  EXPECT_NO_THROW((void)q.wait_handle());
}

TEST(WaitObjects, CApiErrors) {
  mproc::Queue<int> unbounded;
  std::intptr_t h = -1;
  EXPECT_EQ(mproc_queue_wait_handle(unbounded.native_handle(), 1, &h), MPROC_E_INVAL);
  EXPECT_NE(std::string(mproc_last_error()).find("unbounded"), std::string::npos);
  EXPECT_EQ(mproc_queue_wait_handle(nullptr, 0, &h), MPROC_E_INVAL);
  EXPECT_EQ(mproc_queue_wait_handle(unbounded.native_handle(), 0, nullptr), MPROC_E_INVAL);
  EXPECT_EQ(mproc_event_wait_handle(nullptr, &h), MPROC_E_INVAL);
  EXPECT_EQ(mproc_semaphore_wait_handle(nullptr, &h), MPROC_E_INVAL);
  EXPECT_EQ(mproc_lock_wait_handle(nullptr, &h), MPROC_E_INVAL);
  EXPECT_EQ(mproc_result_wait_handle(nullptr, &h), MPROC_E_INVAL);
  EXPECT_THROW((void)unbounded.wait_handle_for_put(), mproc::error);

  // A handle that is not an object's wait handle cannot be rearmed.
  StrConn a, b;
  std::tie(a, b) = mproc::Pipe<std::string>();
  int ready = 0;
  EXPECT_EQ(mproc_wait_handle_rearm(b.fileno(), &ready), MPROC_E_INVAL);
  EXPECT_EQ(mproc_wait_handle_rearm(unbounded.wait_handle(), nullptr), MPROC_E_INVAL);
  // Nor one whose object is gone.
  std::intptr_t gone = -1;
  {
    mproc::Event e;
    gone = e.wait_handle();
  }
  EXPECT_EQ(mproc_wait_handle_rearm(gone, &ready), MPROC_E_INVAL);
}

TEST(WaitObjects, ThreadPoolResultHasNoWaitHandle) {
  mproc::ThreadPool tp(1);
  auto r = tp.apply_async([] { return 1; });
  try {
    (void)r.wait_handle();
    ADD_FAILURE() << "a ThreadPool result gave a wait handle";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::not_supported);
  }
  EXPECT_EQ(r.get(kWait), 1);
}

// A Barrier and a Condition have no wait handle (mproc/barrier.h and mproc/condition.h say why),
// so they cannot go into a wait list.
static_assert(!std::is_convertible_v<const mproc::Barrier&, mproc::waitable>,
              "a Barrier is not waitable");
static_assert(!std::is_convertible_v<const mproc::Condition&, mproc::waitable>,
              "a Condition is not waitable");
static_assert(std::is_convertible_v<const mproc::RLock&, mproc::waitable>, "an RLock is");
static_assert(std::is_convertible_v<const mproc::BoundedSemaphore&, mproc::waitable>,
              "a BoundedSemaphore is");

}  // namespace
