// Event: set / clear / wait across processes under every start method, timeouts, and a set+clear
// pulse that must still wake a waiter.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

namespace event_test {

void wait_then_report(mproc::Event go, mproc::Value<int> arrived, mproc::Value<int> woke) {
  arrived.fetch_add(1);
  if (go.wait(std::chrono::seconds(60))) woke.fetch_add(1);
}

void set_it(mproc::Event e) { e.set(); }

void expect_timeout(mproc::Event e) {
  bool got = e.wait(std::chrono::milliseconds(50));
  mproc::exit(got ? 3 : (e.is_set() ? 4 : 0));
}

}  // namespace event_test

namespace {

using namespace event_test;
using mproc_test::kJoinTimeout;
using mproc_test::MethodTest;

class EventTest : public MethodTest {};

TEST_P(EventTest, SetInTheParentWakesEveryWaitingChild) {
  mproc::Event go;
  mproc::Value<int> arrived(0), woke(0);
  std::vector<mproc::Process> ps;
  for (int i = 0; i < 3; ++i)
    ps.emplace_back(ctx(), mproc::fn<&wait_then_report>, go, arrived, woke);
  for (auto& p : ps) p.start();
  ASSERT_TRUE(mproc_test::eventually([&] { return arrived.load() == 3; }));
  EXPECT_FALSE(go.is_set());
  go.set();
  for (auto& p : ps) {
    ASSERT_TRUE(p.join(kJoinTimeout));
    EXPECT_EQ(p.exitcode(), 0) << p.failure().value_or("");
  }
  EXPECT_EQ(woke.get(), 3);
}

TEST_P(EventTest, SetInAChildIsSeenByTheParent) {
  mproc::Event e("done");
  mproc::Process p(ctx(), mproc::fn<&set_it>, e);
  p.start();
  EXPECT_TRUE(e.wait(kJoinTimeout));
  EXPECT_TRUE(e.is_set());
  ASSERT_TRUE(p.join(kJoinTimeout));
  e.clear();
  EXPECT_FALSE(e.is_set());
}

TEST_P(EventTest, ClearedEventTimesOutInAChild) {
  mproc::Event e;
  e.set();
  e.clear();
  mproc::Process p(ctx(), mproc::fn<&expect_timeout>, e);
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
}

MPROC_INSTANTIATE_FOR_METHODS(EventTest);

TEST(Event, WaitTimesOutWhenNeverSet) {
  mproc::Event e("never");
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(e.wait(std::chrono::milliseconds(50)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_EQ(mproc_event_wait(e.native_handle(), 0), MPROC_E_TIMEOUT);
  EXPECT_EQ(mproc_event_wait(e.native_handle(), 1), MPROC_E_TIMEOUT);
  EXPECT_NE(std::string(mproc_last_error()).find("Event 'never' was not set within 1 ms"),
            std::string::npos)
      << mproc_last_error();
  EXPECT_EQ(mproc_event_wait(e.native_handle(), -3), MPROC_E_INVAL);
  EXPECT_EQ(mproc_event_set(nullptr), MPROC_E_INVAL);
  e.set();
  e.set();  // setting twice is harmless
  EXPECT_TRUE(e.wait());
  EXPECT_TRUE(e.wait(std::chrono::milliseconds(0)));
}

TEST(Event, ASetThenClearPulseWakesAThreadAlreadyWaiting) {
  mproc::Event e;
  std::atomic<std::int64_t> tid{0};
  std::atomic<int> result{-1};
  std::thread waiter([&] {
    tid = mproc_test::platform::current_thread_id();
    result = e.wait(std::chrono::seconds(30)) ? 1 : 0;
  });
  // Wait until the waiter sleeps (in the event's wait: nothing else there sleeps).
  ASSERT_TRUE(mproc_test::eventually(
      [&] { return tid != 0 && mproc_test::platform::thread_blocked(tid); }));
  e.set();
  e.clear();
  waiter.join();
  EXPECT_EQ(result, 1) << "Python's Event: a waiter woken by set() returns True even if cleared";
  EXPECT_FALSE(e.is_set());
}

TEST(Event, OpeningAnotherKindIsAMismatch) {
  mproc::Lock lock("l");
  EXPECT_THROW(mproc::Event::open(lock.handle()), mproc::error);
  EXPECT_NE(std::string(mproc_last_error()).find("Lock 'l' was opened as an Event"),
            std::string::npos)
      << mproc_last_error();
}

}  // namespace
