// Condition: wait / wait_for / notify across processes under every start method, Python's
// ownership rules, exact notify(n), waiters that time out or die, and a lock holder that dies.

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

namespace condition_test {

void produce(mproc::Condition cond, mproc::Value<int> items, int n) {
  for (int i = 0; i < n; ++i) {
    std::lock_guard<mproc::Condition> hold(cond);
    items.set(items.get() + 1);
    cond.notify();
  }
}

void consume(mproc::Condition cond, mproc::Value<int> flag, mproc::Value<int> waiting) {
  std::unique_lock<mproc::Condition> hold(cond);
  waiting.fetch_add(1);
  bool ok = cond.wait_for([&] { return flag.get() == 1; }, std::chrono::seconds(60));
  ok = ok && cond.get_lock().held_by_caller();
  hold.unlock();  // mproc::exit runs no destructors: a lock still held would count as abandoned
  mproc::exit(ok ? 0 : 3);
}

void wait_forever(mproc::Condition cond, mproc::Value<int> waiting) {
  std::unique_lock<mproc::Condition> hold(cond);
  waiting.fetch_add(1);
  cond.wait(std::chrono::seconds(120));
  mproc::exit(5);  // the parent kills this process before
}

void notify_then_die_holding(mproc::Condition cond) {
  cond.acquire();
  cond.notify_all();
  mproc_test::platform::die_now();
}

}  // namespace condition_test

namespace {

using namespace condition_test;
using mproc_test::kJoinTimeout;
using mproc_test::MethodTest;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class ConditionTest : public MethodTest {};

TEST_P(ConditionTest, WaitForSeesWhatAChildProducedAndNotified) {
  mproc::Condition cond;
  mproc::Value<int> items(0);
  mproc::Process p(ctx(), mproc::fn<&produce>, cond, items, 3);
  std::unique_lock<mproc::Condition> hold(cond);
  p.start();
  EXPECT_TRUE(cond.wait_for([&] { return items.get() >= 3; }, kJoinTimeout));
  EXPECT_TRUE(cond.get_lock().held_by_caller());
  hold.unlock();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0) << p.failure().value_or("");
}

TEST_P(ConditionTest, NotifyAllWakesChildrenWaitingWithAPlainLock) {
  mproc::Lock lock;
  mproc::Condition cond(lock);
  mproc::Value<int> flag(0), waiting(0);
  std::vector<mproc::Process> ps;
  for (int i = 0; i < 3; ++i) ps.emplace_back(ctx(), mproc::fn<&consume>, cond, flag, waiting);
  for (auto& p : ps) p.start();
  // Each child counts itself while holding the lock and waits in the same hold: once the count
  // is 3 under the lock, all three are registered waiters.
  ASSERT_TRUE(mproc_test::eventually([&] {
    std::lock_guard<mproc::Lock> hold(lock);
    return waiting.get() == 3;
  }));
  {
    std::lock_guard<mproc::Lock> hold(lock);
    flag.set(1);
    cond.notify_all();
  }
  for (auto& p : ps) {
    ASSERT_TRUE(p.join(kJoinTimeout));
    EXPECT_EQ(p.exitcode(), 0) << p.failure().value_or("");
  }
}

TEST_P(ConditionTest, AWaiterKilledInAChildDoesNotSwallowTheNextNotify) {
  mproc::Condition cond;
  mproc::Value<int> waiting(0);
  mproc::Process p(ctx(), mproc::fn<&wait_forever>, cond, waiting);
  p.start();
  ASSERT_TRUE(mproc_test::eventually([&] {
    std::lock_guard<mproc::Condition> hold(cond);
    return waiting.get() == 1;
  }));
  p.kill();
  ASSERT_TRUE(p.join(kJoinTimeout));
  std::atomic<int> woke{-1};
  std::thread t([&] {
    std::unique_lock<mproc::Condition> hold(cond);
    waiting.fetch_add(1);
    woke = cond.wait(std::chrono::seconds(30)) ? 1 : 0;
  });
  ASSERT_TRUE(mproc_test::eventually([&] {
    std::lock_guard<mproc::Condition> hold(cond);
    return waiting.get() == 2;
  }));
  {
    std::lock_guard<mproc::Condition> hold(cond);
    cond.notify(1);  // the dead child waited longer: it must be skipped, not woken
  }
  t.join();
  EXPECT_EQ(woke, 1);
}

TEST_P(ConditionTest, AHolderDyingWhileAWaiterSleepsIsReportedByWait) {
  mproc::Condition cond;
  std::unique_lock<mproc::Condition> hold(cond);
  mproc::Process p(ctx(), mproc::fn<&notify_then_die_holding>, cond);
  p.start();  // it can only take the lock once wait() below released it
  try {
    cond.wait(kJoinTimeout);
    FAIL() << "wait() took the lock back from a dead holder without saying so";
  } catch (const mproc::owner_died& e) {
    EXPECT_TRUE(cond.get_lock().held_by_caller());
    e.mark_consistent();
  }
  hold.unlock();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), mproc::exitcode_killed);
}

MPROC_INSTANTIATE_FOR_METHODS(ConditionTest);

TEST(Condition, WaitAndNotifyWithoutTheLockAreNotOwner) {
  mproc::Condition cond(mproc::RLock("guard"), "cv");
  try {
    cond.wait(std::chrono::milliseconds(10));
    FAIL();
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::not_owner);
    EXPECT_TRUE(
        contains(e.what(), "wait() on Condition 'cv' needs the caller to hold RLock 'guard'"))
        << e.what();
  }
  EXPECT_THROW(cond.notify(), mproc::error);
  EXPECT_THROW(cond.notify_all(), mproc::error);
  EXPECT_THROW(cond.wait_for([] { return false; }), mproc::error);
  EXPECT_EQ(mproc_condition_notify(cond.native_handle(), -1), MPROC_E_INVAL);
}

TEST(Condition, WaitTimesOutHoldingTheLockAgainWithEveryLevel) {
  mproc::RLock lock;
  mproc::Condition cond(lock);
  lock.acquire();
  lock.acquire();
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(cond.wait(std::chrono::milliseconds(50)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_FALSE(cond.wait_for([] { return false; }, std::chrono::milliseconds(20)));
  EXPECT_TRUE(cond.wait_for([] { return true; }, std::chrono::milliseconds(0)));
  lock.release();
  EXPECT_TRUE(lock.held_by_caller()) << "both levels came back";
  lock.release();
  EXPECT_THROW(lock.release(), mproc::error);
}

TEST(Condition, NotifyOneWakesExactlyOneAndNeverALaterWaiter) {
  mproc::Condition cond;
  int registered = 0;  // guarded by cond's lock
  std::atomic<int> woke{0};
  std::vector<std::thread> early;
  for (int i = 0; i < 3; ++i) {
    early.emplace_back([&] {
      std::unique_lock<mproc::Condition> hold(cond);
      ++registered;
      if (cond.wait(std::chrono::seconds(30))) ++woke;
    });
  }
  ASSERT_TRUE(mproc_test::eventually([&] {
    std::lock_guard<mproc::Condition> hold(cond);
    return registered == 3;
  }));
  std::atomic<int> late_result{-1};
  std::thread late;
  {
    std::lock_guard<mproc::Condition> hold(cond);
    cond.notify(1);
    // A waiter that starts after the notify must not take it from the three before it.
    late = std::thread([&] {
      std::unique_lock<mproc::Condition> h(cond);
      late_result = cond.wait(std::chrono::milliseconds(200)) ? 1 : 0;
    });
  }
  late.join();
  EXPECT_EQ(late_result, 0) << "a later waiter stole an earlier notify";
  ASSERT_TRUE(mproc_test::eventually([&] { return woke == 1; }));
  {
    std::unique_lock<mproc::Condition> hold(cond);
    EXPECT_FALSE(cond.wait_for([&] { return woke.load() > 1; }, std::chrono::milliseconds(100)))
        << "notify(1) woke more than one";
    cond.notify_all();
  }
  for (auto& t : early) t.join();
  EXPECT_EQ(woke, 3);
}

TEST(Condition, CAbiChecksItsLockAndItsCapacity) {
  mproc_lock* lock = nullptr;
  ASSERT_EQ(mproc_lock_create(nullptr, &lock), MPROC_OK);
  mproc_condition_options o = MPROC_CONDITION_OPTIONS_INIT;
  o.max_waiters = 1;
  o.name = "small";
  mproc_condition* c = nullptr;
  ASSERT_EQ(mproc_condition_create(lock, &o, &c), MPROC_OK);
  mproc_lock_destroy(lock);  // the condition keeps its own handle onto the lock

  intptr_t h = -1;
  ASSERT_EQ(mproc_condition_handle(c, &h), MPROC_OK);
  mproc_lock* other = nullptr;
  ASSERT_EQ(mproc_lock_create(nullptr, &other), MPROC_OK);
  mproc_condition* wrong = nullptr;
  EXPECT_EQ(mproc_condition_open(h, other, &wrong), MPROC_E_TYPE_MISMATCH);
  EXPECT_TRUE(contains(mproc_last_error(), "which is not the lock it was created with"))
      << mproc_last_error();
  EXPECT_EQ(mproc_condition_open(h, nullptr, &wrong), MPROC_E_INVAL);
  mproc_lock_destroy(other);

  // One waiter fits; a second is refused with E_FULL, not queued somewhere unseen.
  std::atomic<bool> first_waiting{false};
  std::thread t([&] {
    ASSERT_EQ(mproc_condition_acquire(c, MPROC_INFINITE), MPROC_OK);
    first_waiting = true;
    EXPECT_EQ(mproc_condition_wait(c, 30000), MPROC_OK);
    EXPECT_EQ(mproc_condition_release(c), MPROC_OK);
  });
  ASSERT_TRUE(mproc_test::eventually([&] {
    if (!first_waiting) return false;
    // Holding the lock after the first set the flag means it is inside wait().
    EXPECT_EQ(mproc_condition_acquire(c, MPROC_INFINITE), MPROC_OK);
    EXPECT_EQ(mproc_condition_release(c), MPROC_OK);
    return true;
  }));
  ASSERT_EQ(mproc_condition_acquire(c, MPROC_INFINITE), MPROC_OK);
  EXPECT_EQ(mproc_condition_wait(c, 10), MPROC_E_FULL);
  EXPECT_TRUE(contains(mproc_last_error(), "Condition 'small' already has 1 waiting"))
      << mproc_last_error();
  EXPECT_EQ(mproc_condition_notify(c, 1), MPROC_OK);
  EXPECT_EQ(mproc_condition_release(c), MPROC_OK);
  t.join();
  mproc_condition_destroy(c);
}

int counter_reached_two(void* arg) { return *static_cast<int*>(arg) >= 2 ? 1 : 0; }

TEST(Condition, CWaitForUsesThePredicate) {
  mproc_condition* c = nullptr;
  ASSERT_EQ(mproc_condition_create(nullptr, nullptr, &c), MPROC_OK);
  int counter = 0;
  EXPECT_EQ(mproc_condition_wait_for(c, &counter_reached_two, &counter, 10), MPROC_E_NOT_OWNER);
  std::thread t([&] {
    for (int i = 0; i < 2; ++i) {
      ASSERT_EQ(mproc_condition_acquire(c, MPROC_INFINITE), MPROC_OK);
      ++counter;
      EXPECT_EQ(mproc_condition_notify_all(c), MPROC_OK);
      EXPECT_EQ(mproc_condition_release(c), MPROC_OK);
    }
  });
  ASSERT_EQ(mproc_condition_acquire(c, MPROC_INFINITE), MPROC_OK);
  EXPECT_EQ(mproc_condition_wait_for(c, &counter_reached_two, &counter, 30000), MPROC_OK);
  EXPECT_EQ(counter, 2);
  EXPECT_EQ(mproc_condition_release(c), MPROC_OK);
  t.join();
  ASSERT_EQ(mproc_condition_acquire(c, MPROC_INFINITE), MPROC_OK);
  counter = 0;
  EXPECT_EQ(mproc_condition_wait_for(c, &counter_reached_two, &counter, 20), MPROC_E_TIMEOUT);
  EXPECT_EQ(mproc_condition_release(c), MPROC_OK);
  mproc_condition_destroy(c);
}

TEST(Condition, WorksOnTheLockOfAValue) {
  mproc::Value<int> v(0);
  mproc::Condition cond(v.get_lock());
  std::thread t([&] {
    std::lock_guard<mproc::RLock> hold(v.get_lock());
    v.set(1);
    cond.notify();
  });
  {
    std::unique_lock<mproc::RLock> hold(v.get_lock());
    EXPECT_TRUE(cond.wait_for([&] { return v.get() == 1; }, std::chrono::seconds(30)));
  }
  t.join();
}

}  // namespace
