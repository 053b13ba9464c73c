// Lock and RLock: mutual exclusion across processes under every start method, owner death,
// misuse reported with the lock's name, and the standard Lockable interface.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "support.h"

namespace lock_test {

// Seed 004: `with lock: for _ in range(5): v.value += num` in two processes.
void add_five_times(mproc::Value<int> v, int num, mproc::Lock lock) {
  std::lock_guard<mproc::Lock> hold(lock);
  for (int i = 0; i < 5; ++i) v.set(v.get() + num);
}

void hold_then_die(mproc::Lock lock) {
  lock.acquire();
  ::raise(SIGKILL);
}

void hold_rlock_three_times_then_die(mproc::RLock lock) {
  lock.acquire();
  lock.acquire();
  lock.acquire();
  ::raise(SIGKILL);
}

void hold_and_wait(mproc::Lock lock, mproc::Event holding) {
  lock.acquire();
  holding.set();
  for (;;) ::pause();  // until the parent kills it
}

void hold_until(mproc::Lock lock, mproc::Event holding, mproc::Event done) {
  lock.acquire();
  holding.set();
  mproc::exit(done.wait(std::chrono::seconds(60)) ? 0 : 3);
}

void release_unheld(mproc::Lock lock) {
  try {
    lock.release();
  } catch (const mproc::error& e) {
    mproc::exit(e.code() == mproc::errc::not_owner ? 0 : 4);
  }
  mproc::exit(3);
}

// scoped_lock over (b, a) while the parent locks (a, b): std::lock's back-off avoids the deadlock.
void lock_both_reversed(mproc::Lock a, mproc::Lock b, mproc::Value<int> total, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    std::scoped_lock hold(b, a);
    total.set(total.get() + 1);
  }
}

void try_lock_for_reports(mproc::RLock lock, mproc::Value<int> result) {
  std::unique_lock<mproc::RLock> hold(lock, std::defer_lock);
  result.set(hold.try_lock_for(std::chrono::milliseconds(50)) ? 1 : 2);
}

}  // namespace lock_test

namespace {

using namespace lock_test;
using mproc_test::kJoinTimeout;
using mproc_test::MethodTest;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class LockTest : public MethodTest {};

TEST_P(LockTest, TwoProcessesAddingUnderTheLockEndAtTwenty) {
  mproc::Lock lock;
  mproc::Value<int> v(0);
  mproc::Process p1(ctx(), mproc::fn<&add_five_times>, v, 1, lock);
  mproc::Process p2(ctx(), mproc::fn<&add_five_times>, v, 3, lock);
  p1.start();
  p2.start();
  ASSERT_TRUE(p1.join(kJoinTimeout));
  ASSERT_TRUE(p2.join(kJoinTimeout));
  EXPECT_EQ(p1.exitcode(), 0) << p1.failure().value_or("");
  EXPECT_EQ(p2.exitcode(), 0) << p2.failure().value_or("");
  EXPECT_EQ(v.get(), 20);
}

TEST_P(LockTest, HolderKilledMeansNextAcquireGetsOwnerDiedAndHoldsTheLock) {
  mproc::Lock lock("jobs");
  mproc::Process p(ctx(), mproc::fn<&hold_then_die>, lock);
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  ASSERT_EQ(p.exitcode(), -SIGKILL);
  try {
    lock.acquire(std::chrono::seconds(20));
    FAIL() << "acquire after the holder died did not report it";
  } catch (const mproc::owner_died& e) {
    EXPECT_EQ(e.code(), mproc::errc::owner_died);
    EXPECT_TRUE(contains(e.what(), "Lock 'jobs'")) << e.what();
    EXPECT_TRUE(contains(e.what(), "process " + std::to_string(p.pid()))) << e.what();
    EXPECT_TRUE(lock.held_by_caller());
    EXPECT_TRUE(e.lock() == lock);
    e.mark_consistent();
  }
  lock.release();
  EXPECT_TRUE(lock.try_lock()) << "a lock marked consistent works as before";
  lock.release();
}

TEST_P(LockTest, WithoutMarkConsistentTheLockBecomesUnusableNotStuck) {
  mproc::Lock lock("fragile");
  mproc::Process p(ctx(), mproc::fn<&hold_then_die>, lock);
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  std::error_code ec;
  ASSERT_TRUE(lock.acquire(std::chrono::seconds(20), ec));
  EXPECT_EQ(ec, mproc::errc::owner_died) << "the non-throwing form reports it in ec";
  lock.release();  // without mark_consistent
  for (auto timeout : {std::chrono::milliseconds(0), std::chrono::milliseconds(20000)}) {
    auto start = std::chrono::steady_clock::now();
    try {
      lock.acquire(timeout);
      FAIL() << "an unrecoverable lock was acquired";
    } catch (const mproc::error& e) {
      EXPECT_EQ(e.code(), mproc::errc::bad_state);
      EXPECT_TRUE(contains(e.what(), "Lock 'fragile' is unusable")) << e.what();
      EXPECT_TRUE(contains(e.what(), "mproc_lock_consistent")) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10)) << "no hang";
  }
}

TEST_P(LockTest, BlockedAcquirerIsHandedTheLockWhenTheHolderIsKilled) {
  mproc::Lock lock;
  mproc::Event holding;
  mproc::Process p(ctx(), mproc::fn<&hold_and_wait>, lock, holding);
  p.start();
  ASSERT_TRUE(holding.wait(kJoinTimeout));
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(lock.acquire(std::chrono::milliseconds(50))) << "held by the child";
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_EQ(mproc_lock_acquire(lock.native_handle(), 50), MPROC_E_TIMEOUT);
  EXPECT_TRUE(contains(mproc_last_error(), "held by process " + std::to_string(p.pid())))
      << mproc_last_error();

  std::error_code ec;
  bool got = false;
  std::thread waiter([&] { got = lock.acquire(std::chrono::seconds(30), ec); });
  p.kill();
  waiter.join();
  ASSERT_TRUE(got) << ec.message();
  EXPECT_EQ(ec, mproc::errc::owner_died);
  ASSERT_TRUE(p.join(kJoinTimeout));
  // The waiter thread holds it; a thread that ended holding a lock is an owner that died too.
  try {
    lock.acquire(std::chrono::seconds(20));
    FAIL() << "the thread ended holding the lock: that is reported as well";
  } catch (const mproc::owner_died& e) {
    EXPECT_TRUE(contains(e.what(), "of this process")) << e.what();
    e.mark_consistent();
  }
  lock.release();
}

TEST_P(LockTest, RLockHeldSeveralTimesByAKilledChildIsRecoveredWithDepthOne) {
  mproc::RLock lock;
  mproc::Process p(ctx(), mproc::fn<&hold_rlock_three_times_then_die>, lock);
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  ASSERT_EQ(p.exitcode(), -SIGKILL);
  EXPECT_THROW(lock.acquire(std::chrono::seconds(20)), mproc::owner_died);
  lock.mark_consistent();
  lock.release();  // one release frees it: the dead holder's depth is not inherited
  bool other_got_it = false;
  std::thread([&] {
    other_got_it = lock.try_lock();
    if (other_got_it) lock.unlock();
  }).join();
  EXPECT_TRUE(other_got_it);
}

TEST_P(LockTest, AcquireWithTimeoutOnALockHeldByAChildReturnsFalse) {
  mproc::Lock lock;
  mproc::RLock rlock;
  mproc::Event holding, done;
  mproc::Process p(ctx(), mproc::fn<&hold_until>, lock, holding, done);
  p.start();
  ASSERT_TRUE(holding.wait(kJoinTimeout));
  EXPECT_FALSE(lock.try_lock());
  EXPECT_FALSE(lock.acquire(false));
  EXPECT_FALSE(lock.try_lock_for(std::chrono::milliseconds(50)));
  EXPECT_FALSE(
      lock.try_lock_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(20)));
  std::unique_lock<mproc::Lock> hold(lock, std::try_to_lock);
  EXPECT_FALSE(hold.owns_lock());
  done.set();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
  // The child exited holding it: that counts as dying while holding it.
  EXPECT_THROW(lock.acquire(std::chrono::seconds(20)), mproc::owner_died);
  lock.mark_consistent();
  lock.release();

  // RLock and unique_lock::try_lock_for in a child.
  mproc::Value<int> result(0);
  rlock.acquire();
  mproc::Process q(ctx(), mproc::fn<&try_lock_for_reports>, rlock, result);
  q.start();
  ASSERT_TRUE(q.join(kJoinTimeout));
  EXPECT_EQ(result.get(), 2) << "try_lock_for on an RLock held by the parent expires";
  rlock.release();
}

TEST_P(LockTest, ScopedLockOfTwoLocksAcrossProcessesNeitherDeadlocksNorLosesUpdates) {
  mproc::Lock a("a"), b("b");
  mproc::Value<int> total(0);
  constexpr int kRounds = 200;
  mproc::Process p(ctx(), mproc::fn<&lock_both_reversed>, a, b, total, kRounds);
  p.start();
  for (int i = 0; i < kRounds; ++i) {
    std::scoped_lock hold(a, b);
    total.set(total.get() + 1);
  }
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0) << p.failure().value_or("");
  EXPECT_EQ(total.get(), 2 * kRounds);
}

TEST_P(LockTest, ReleaseInAChildThatDoesNotHoldItIsNotOwner) {
  mproc::Lock lock;
  mproc::Process p(ctx(), mproc::fn<&release_unheld>, lock);
  lock.acquire();  // held here, not in the child
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_TRUE(lock.held_by_caller()) << "the child's failed release changed nothing";
  lock.release();
}

MPROC_INSTANTIATE_FOR_METHODS(LockTest);

// ---- Within one process -------------------------------------------------------------------------

TEST(Lock, StandardLockGuardAndUniqueLockWork) {
  mproc::Lock lock;
  {
    std::lock_guard<mproc::Lock> hold(lock);
    EXPECT_TRUE(lock.held_by_caller());
  }
  EXPECT_FALSE(lock.held_by_caller());
  std::unique_lock<mproc::Lock> u(lock, std::defer_lock);
  EXPECT_TRUE(u.try_lock_for(std::chrono::milliseconds(10)));
  u.unlock();
  EXPECT_TRUE(u.try_lock_until(std::chrono::steady_clock::now() + std::chrono::milliseconds(10)));
}

TEST(Lock, ReleaseOfAnUnheldLockIsNotOwnerNamingTheLock) {
  mproc::Lock lock("jobs");
  EXPECT_NO_THROW(lock.unlock()) << "unlock() runs in destructors: it reports nothing";
  try {
    lock.release();
    FAIL();
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::not_owner);
    EXPECT_TRUE(contains(e.what(), "Lock 'jobs' is not held")) << e.what();
  }
  lock.acquire();
  std::string text;
  std::thread([&] {
    EXPECT_EQ(mproc_lock_release(lock.native_handle()), MPROC_E_NOT_OWNER);
    text = mproc_last_error();
  }).join();
  EXPECT_TRUE(contains(text, "mproc_lock_release: Lock 'jobs' is held by thread")) << text;
  EXPECT_TRUE(contains(text, "of this process, not by the caller")) << text;
  lock.release();
}

TEST(Lock, HolderAcquiringAgainFailsFastInsteadOfDeadlocking) {
  mproc::Lock lock("once");
  lock.acquire();
  EXPECT_FALSE(lock.try_lock()) << "Python: acquire(False) by the holder returns False";
  try {
    lock.acquire();
    FAIL();
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::bad_state);
    EXPECT_TRUE(contains(e.what(), "already holds Lock 'once'")) << e.what();
    EXPECT_TRUE(contains(e.what(), "use an RLock")) << e.what();
  }
  lock.release();
}

// Python: Lock.acquire(timeout=t) by the holder waits t and returns False (nothing waits forever
// once there is a timeout); only a wait without one, which would never end, fails at once.
TEST(Lock, HolderAcquiringWithATimeoutWaitsItAndGetsFalse) {
  mproc::Lock lock("once");
  lock.acquire();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(lock.acquire(std::chrono::milliseconds(200)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  EXPECT_FALSE(lock.try_lock_for(std::chrono::milliseconds(50)));
  EXPECT_TRUE(lock.held_by_caller());
  lock.release();
  EXPECT_TRUE(lock.acquire(std::chrono::milliseconds(200)));
  lock.release();
}

TEST(Lock, RLockCountsItsLevels) {
  mproc::RLock lock;
  EXPECT_TRUE(lock.recursive());
  lock.acquire();
  EXPECT_TRUE(lock.acquire(false));
  { std::lock_guard<mproc::RLock> again(lock); }
  lock.release();
  EXPECT_TRUE(lock.held_by_caller()) << "one level is still held";
  bool other = true;
  std::thread([&] { other = lock.try_lock(); }).join();
  EXPECT_FALSE(other);
  lock.release();
  EXPECT_FALSE(lock.held_by_caller());
  EXPECT_THROW(lock.release(), mproc::error);
}

TEST(Lock, AThreadEndingWhileHoldingItIsAnOwnerThatDied) {
  mproc::Lock lock;
  std::thread([&] { lock.acquire(); }).join();
  mproc_status st = mproc_lock_acquire(lock.native_handle(), 20000);
  ASSERT_EQ(st, MPROC_E_OWNER_DIED);
  EXPECT_TRUE(contains(mproc_last_error(), "mproc_lock_consistent")) << mproc_last_error();
  EXPECT_EQ(mproc_lock_consistent(lock.native_handle()), MPROC_OK);
  EXPECT_EQ(mproc_lock_consistent(lock.native_handle()), MPROC_E_STATE)
      << "already consistent: nothing to mark";
  EXPECT_TRUE(contains(mproc_last_error(), "not in the owner-died state")) << mproc_last_error();
  EXPECT_EQ(mproc_lock_release(lock.native_handle()), MPROC_OK);
  EXPECT_EQ(mproc_lock_consistent(lock.native_handle()), MPROC_E_NOT_OWNER);
}

TEST(Lock, DroppingALockTheThreadHoldsDoesNotBreakItsOtherLocks) {
  mproc::Lock keep;
  keep.acquire();
  {
    mproc::Lock dropped;
    dropped.acquire();  // held when its last handle goes: it must stay mapped
  }
  keep.release();  // unlinks `keep` from the thread's list of held robust mutexes
  EXPECT_TRUE(keep.try_lock());
  keep.release();
}

TEST(Lock, CAbiRejectsBadArgumentsAndOpensOnlyLocks) {
  EXPECT_EQ(mproc_lock_create(nullptr, nullptr), MPROC_E_INVAL);
  mproc_lock_options o = MPROC_LOCK_OPTIONS_INIT;
  std::string long_name(64, 'x');
  o.name = long_name.c_str();
  mproc_lock* l = nullptr;
  EXPECT_EQ(mproc_lock_create(&o, &l), MPROC_E_INVAL);
  EXPECT_EQ(mproc_lock_acquire(nullptr, 0), MPROC_E_INVAL);
  o.name = "ok";
  ASSERT_EQ(mproc_lock_create(&o, &l), MPROC_OK);
  EXPECT_EQ(mproc_lock_acquire(l, -7), MPROC_E_INVAL);
  EXPECT_STREQ(mproc_lock_describe(l), "Lock 'ok'");
  mproc_lock_destroy(l);
  mproc_lock_destroy(nullptr);

  mproc::Event ev("not-a-lock");
  try {
    mproc::Lock::open(ev.handle());
    FAIL();
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::type_mismatch);
    EXPECT_TRUE(contains(e.what(), "Event 'not-a-lock' was opened as a lock")) << e.what();
  }
  mproc::Lock plain("plain");
  EXPECT_THROW(mproc::RLock::open(plain.handle()), mproc::error);
  mproc::RawValue<int> raw(1, "rawv");
  try {
    mproc::RLock::open(raw.handle());
    FAIL();
  } catch (const mproc::error& e) {
    EXPECT_TRUE(contains(e.what(), "Value 'rawv' was created without a lock")) << e.what();
  }
  mproc::Value<int> v(1, "v");
  mproc::RLock of_value = mproc::RLock::open(v.handle());
  EXPECT_EQ(of_value.describe(), "the lock of Value 'v'");
}

}  // namespace
