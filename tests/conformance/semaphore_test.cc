// Semaphore and BoundedSemaphore: bounds on concurrency across processes under every start
// method, releases from another process, Python's value checks.
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

namespace semaphore_test {

// Inside the semaphore: counts who is in, records the most at once.
void use_slot(mproc::Semaphore slots, mproc::Value<int> inside, mproc::Value<int> most,
              mproc::Value<int> done) {
  for (int round = 0; round < 20; ++round) {
    std::lock_guard<mproc::Semaphore> hold(slots);
    int now = inside.fetch_add(1) + 1;
    int seen = most.load();
    while (now > seen && !most.compare_exchange(seen, now)) {
    }
    std::this_thread::yield();
    inside.fetch_sub(1);
  }
  done.fetch_add(1);
}

void release_three(mproc::Semaphore s) { s.release(3); }

void over_release(mproc::BoundedSemaphore s) {
  try {
    s.release();
  } catch (const mproc::error& e) {
    mproc::exit(e.code() == mproc::errc::out_of_range ? 0 : 4);
  }
  mproc::exit(3);
}

}  // namespace semaphore_test

namespace {

using namespace semaphore_test;
using mproc_test::kJoinTimeout;
using mproc_test::MethodTest;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class SemaphoreTest : public MethodTest {};

TEST_P(SemaphoreTest, AtMostValueProcessesAreInsideAtOnce) {
  mproc::Semaphore slots(2);
  mproc::Value<int> inside(0), most(0), done(0);
  std::vector<mproc::Process> ps;
  for (int i = 0; i < 5; ++i)
    ps.emplace_back(ctx(), mproc::fn<&use_slot>, slots, inside, most, done);
  for (auto& p : ps) p.start();
  for (auto& p : ps) {
    ASSERT_TRUE(p.join(kJoinTimeout));
    EXPECT_EQ(p.exitcode(), 0) << p.failure().value_or("");
  }
  EXPECT_EQ(done.get(), 5);
  EXPECT_LE(most.get(), 2);
  EXPECT_GE(most.get(), 1);
  EXPECT_EQ(slots.get_value(), 2) << "every acquire was released";
}

TEST_P(SemaphoreTest, AReleaseInAChildLetsTheParentAcquire) {
  mproc::Semaphore s(0);
  EXPECT_FALSE(s.acquire(false));
  mproc::Process p(ctx(), mproc::fn<&release_three>, s);
  p.start();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(s.acquire(kJoinTimeout)) << i;
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_FALSE(s.acquire(std::chrono::milliseconds(50)));
  EXPECT_EQ(s.get_value(), 0);
}

TEST_P(SemaphoreTest, ABoundedSemaphoreRefusesToGoAboveItsInitialValueInAChild) {
  mproc::BoundedSemaphore s(1);
  mproc::Process p(ctx(), mproc::fn<&over_release>, s);
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(s.get_value(), 1);
}

MPROC_INSTANTIATE_FOR_METHODS(SemaphoreTest);

TEST(Semaphore, NegativeOrHugeInitialValuesAreOutOfRange) {
  try {
    mproc::Semaphore s(-1);
    FAIL();
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::out_of_range);
    EXPECT_TRUE(contains(e.what(), "initial value must be 0 to 2147483647, not -1")) << e.what();
  }
  EXPECT_THROW(mproc::BoundedSemaphore(-5), mproc::error);
  EXPECT_THROW(mproc::Semaphore(MPROC_SEMAPHORE_VALUE_MAX + 1), mproc::error);
  mproc::Semaphore zero(0);
  EXPECT_EQ(zero.get_value(), 0);
  mproc::Semaphore top(MPROC_SEMAPHORE_VALUE_MAX);
  EXPECT_THROW(top.release(), mproc::error);
  EXPECT_TRUE(contains(mproc_last_error(), "above 2147483647")) << mproc_last_error();
}

TEST(Semaphore, BoundedReleaseAboveInitialValueIsOutOfRangeAndReleasesNothing) {
  mproc::BoundedSemaphore s(2, "pool");
  EXPECT_TRUE(s.bounded());
  try {
    s.release();
    FAIL();
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::out_of_range);
    EXPECT_TRUE(contains(e.what(), "BoundedSemaphore 'pool' released too many times")) << e.what();
  }
  EXPECT_TRUE(s.acquire());
  EXPECT_TRUE(s.acquire());
  EXPECT_THROW(s.release(3), mproc::error) << "2 + ... > 2: nothing released";
  EXPECT_EQ(s.get_value(), 0);
  s.release(2);
  EXPECT_EQ(s.get_value(), 2);
  mproc::Semaphore plain(1);
  plain.release(5);
  EXPECT_EQ(plain.get_value(), 6) << "an unbounded semaphore may go above its initial value";
  EXPECT_THROW(plain.release(0), mproc::error);
}

TEST(Semaphore, AcquireOnZeroTimesOutAndWakesOnRelease) {
  mproc::Semaphore s(0, "empty");
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(s.acquire(std::chrono::milliseconds(50)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  EXPECT_EQ(mproc_semaphore_acquire(s.native_handle(), 0), MPROC_E_TIMEOUT);
  EXPECT_TRUE(contains(mproc_last_error(), "Semaphore 'empty' is 0")) << mproc_last_error();
  EXPECT_FALSE(s.try_lock());
  bool got = false;
  std::thread t([&] { got = s.acquire(std::chrono::seconds(30)); });
  s.release();
  t.join();
  EXPECT_TRUE(got);
}

TEST(Semaphore, OpenChecksTheKind) {
  mproc::Semaphore plain(1, "plain");
  mproc::BoundedSemaphore bounded(1, "bounded");
  EXPECT_FALSE(mproc::Semaphore::open(plain.handle()).bounded());
  EXPECT_TRUE(mproc::Semaphore::open(bounded.handle()).bounded())
      << "a BoundedSemaphore is a Semaphore";
  EXPECT_THROW(mproc::BoundedSemaphore::open(plain.handle()), mproc::error);
  mproc::Event e("ev");
  EXPECT_THROW(mproc::Semaphore::open(e.handle()), mproc::error);
  EXPECT_TRUE(contains(mproc_last_error(), "Event 'ev' was opened as a Semaphore"))
      << mproc_last_error();
}

}  // namespace
