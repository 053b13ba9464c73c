// Value and Array made with the caller's lock (Python's Value('i', 5, lock=my_lock)): get/set
// hold that lock, get_lock() returns it, one lock guards several objects, and the lock travels to
// a child with the object.
#include <chrono>
#include <mutex>
#include <vector>

#include "support.h"

namespace shared_lock_test {

// Under the shared lock, moves `amount` from one value to the other `rounds` times: the sum stays
// constant for anyone holding the lock.
void transfer(mproc::Value<int, mproc::Lock> from, mproc::Value<int, mproc::Lock> to, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    std::lock_guard<mproc::Lock> hold(from.get_lock());
    from.data()[0] -= 1;
    to.data()[0] += 1;
  }
}

void set_then_signal(mproc::Value<int, mproc::Lock> v, mproc::Event done) {
  v.set(42);  // waits for the parent's hold of the shared lock
  done.set();
}

void fill(mproc::Array<int, mproc::Lock> a, int value) {
  std::vector<int> all(a.size(), value);
  a.write(0, all);
}

void add_under_rlock(mproc::Value<long> v, int times) {
  for (int i = 0; i < times; ++i) {
    std::lock_guard<mproc::RLock> hold(v.get_lock());
    v.set(v.get() + 1);
  }
}

}  // namespace shared_lock_test

namespace {

using mproc_test::kJoinTimeout;
using mproc_test::MethodTest;

class SharedLockTest : public MethodTest {};

TEST_P(SharedLockTest, TwoValuesShareTheCallersLockAcrossProcesses) {
  mproc::Lock lock("accounts");
  mproc::Value<int, mproc::Lock> a(1000, lock), b(0, lock);
  EXPECT_TRUE(a.has_external_lock());
  EXPECT_TRUE(a.get_lock() == lock);
  EXPECT_TRUE(b.get_lock() == lock);
  mproc::Process p(ctx(), mproc::fn<&shared_lock_test::transfer>, a, b, 500);
  p.start();
  for (int i = 0; i < 200; ++i) {
    std::lock_guard<mproc::Lock> hold(lock);
    ASSERT_EQ(a.data()[0] + b.data()[0], 1000) << "seen half-way through a transfer";
  }
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(a.get(), 500);
  EXPECT_EQ(b.get(), 500);
}

TEST_P(SharedLockTest, GetAndSetInTheChildWaitForTheParentsHoldOfTheLock) {
  mproc::Lock lock;
  mproc::Value<int, mproc::Lock> v(0, lock);
  mproc::Event done;
  lock.acquire();
  mproc::Process p(ctx(), mproc::fn<&shared_lock_test::set_then_signal>, v, done);
  p.start();
  EXPECT_FALSE(done.wait(std::chrono::milliseconds(300))) << "set() did not take the lock";
  EXPECT_EQ(v.data()[0], 0);
  lock.release();
  EXPECT_TRUE(done.wait(std::chrono::seconds(60)));
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(v.get(), 42);
}

TEST_P(SharedLockTest, AnArrayWithTheCallersLock) {
  mproc::Lock lock;
  mproc::Array<int, mproc::Lock> arr(16, lock, "cells");
  EXPECT_TRUE(arr.get_lock() == lock);
  mproc::Process p(ctx(), mproc::fn<&shared_lock_test::fill>, arr, 7);
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(arr.read(), std::vector<int>(16, 7));
  arr.set(3, 9);
  EXPECT_EQ(arr.get(3), 9);
  EXPECT_EQ(arr.name(), "cells");
}

TEST_P(SharedLockTest, AValueWithTheCallersRLock) {
  mproc::RLock rlock;
  mproc::Value<long> v(0L, rlock);
  EXPECT_TRUE(v.has_external_lock());
  EXPECT_TRUE(v.get_lock() == rlock);
  mproc::Process p(ctx(), mproc::fn<&shared_lock_test::add_under_rlock>, v, 200);
  p.start();
  shared_lock_test::add_under_rlock(v, 200);
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(v.get(), 400);
  mproc::Value<long> own(0L);
  EXPECT_FALSE(own.has_external_lock());
}

MPROC_INSTANTIATE_FOR_METHODS(SharedLockTest);

}  // namespace
