// Barrier: three processes passing together under every start method, the action run once per
// round by the last to arrive, abort / reset / timeout breaking it as Python's does.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

namespace barrier_test {

// Where the action records that it ran: a file named after the test process (the action takes
// no arguments, and forkserver children do not inherit the test's environment).
std::string action_file() {
  std::int64_t test_pid = mproc::is_child() ? mproc::parent_pid() : mproc::current_pid();
  return (std::filesystem::temp_directory_path() /
          ("mproc-barrier-test-" + std::to_string(test_pid)))
      .string();
}

// The action: appends this process's pid to the action file.
void record_action() {
  std::string line = std::to_string(mproc::current_pid()) + "\n";
  if (!mproc_test::platform::append_file(action_file(), line)) {
    throw std::runtime_error("cannot append to the action's file");
  }
}

void failing_action() { throw std::runtime_error("the action broke"); }

void pass_rounds(mproc::Barrier b, mproc::Array<int> indices, int slot, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    std::uint32_t i = b.wait(std::chrono::seconds(60));
    indices.set(static_cast<std::size_t>(r * 3 + slot), static_cast<int>(i));
  }
}

void expect_broken(mproc::Barrier b) {
  try {
    b.wait(std::chrono::seconds(60));
  } catch (const mproc::broken_barrier_error&) {
    mproc::exit(0);
  } catch (...) {
    mproc::exit(4);
  }
  mproc::exit(3);
}

// Waits on the barrier with MPROC_TEST_BARRIER_PAUSE set: stops at `point` ("arrived" or "last")
// with the barrier's lock held, creates `marker`, and sleeps until the test kills it.
void wait_then_pause(mproc::Barrier b, std::string point, std::string marker) {
  mproc_test::platform::set_env("MPROC_TEST_BARRIER_PAUSE", point + ":" + marker);
  b.wait(std::chrono::seconds(60));
  mproc::exit(3);  // never reached
}

}  // namespace barrier_test

namespace {

using namespace barrier_test;
using mproc_test::kJoinTimeout;
using mproc_test::MethodTest;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class BarrierTest : public MethodTest {};

TEST_P(BarrierTest, ThreeProcessesPassTogetherWithDistinctIndicesAndOneActionPerRound) {
  std::string file = action_file();
  std::filesystem::remove(file);
  constexpr int kRounds = 4;
  mproc::Barrier b(3, mproc::fn<&record_action>);
  EXPECT_EQ(b.parties(), 3u);
  mproc::Array<int> indices(3 * kRounds);
  mproc::Process p1(ctx(), mproc::fn<&pass_rounds>, b, indices, 1, kRounds);
  mproc::Process p2(ctx(), mproc::fn<&pass_rounds>, b, indices, 2, kRounds);
  p1.start();
  p2.start();
  pass_rounds(b, indices, 0, kRounds);
  ASSERT_TRUE(p1.join(kJoinTimeout));
  ASSERT_TRUE(p2.join(kJoinTimeout));
  EXPECT_EQ(p1.exitcode(), 0) << p1.failure().value_or("");
  EXPECT_EQ(p2.exitcode(), 0) << p2.failure().value_or("");
  std::vector<int> all = indices.read();
  for (int r = 0; r < kRounds; ++r) {
    std::vector<int> round(all.begin() + r * 3, all.begin() + r * 3 + 3);
    std::sort(round.begin(), round.end());
    EXPECT_EQ(round, (std::vector<int>{0, 1, 2})) << "round " << r;
  }
  std::string actions = mproc_test::read_file(file);
  std::filesystem::remove(file);
  EXPECT_EQ(std::count(actions.begin(), actions.end(), '\n'), kRounds) << actions;
  EXPECT_FALSE(b.broken());
  EXPECT_EQ(b.n_waiting(), 0u);
}

TEST_P(BarrierTest, AbortBreaksAChildsWaitAndResetRepairsTheBarrier) {
  mproc::Barrier b(2, "gate");
  mproc::Process p(ctx(), mproc::fn<&expect_broken>, b);
  p.start();
  ASSERT_TRUE(mproc_test::eventually([&] { return b.n_waiting() == 1; }));
  b.abort();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0) << "the child's wait did not end with broken_barrier_error";
  EXPECT_TRUE(b.broken());
  try {
    b.wait(std::chrono::seconds(5));
    FAIL();
  } catch (const mproc::broken_barrier_error& e) {
    EXPECT_EQ(e.code(), mproc::errc::broken);
    EXPECT_TRUE(contains(e.what(), "Barrier 'gate' is broken")) << e.what();
  }
  b.reset();
  EXPECT_FALSE(b.broken());
  mproc::Array<int> indices(3);
  mproc::Process q(ctx(), mproc::fn<&pass_rounds>, b, indices, 1, 1);
  q.start();
  EXPECT_LT(b.wait(kJoinTimeout), 2u);
  ASSERT_TRUE(q.join(kJoinTimeout));
  EXPECT_EQ(q.exitcode(), 0) << q.failure().value_or("");
}

TEST_P(BarrierTest, ResetWakesAWaitingChildWithBroken) {
  mproc::Barrier b(2);
  mproc::Process p(ctx(), mproc::fn<&expect_broken>, b);
  p.start();
  ASSERT_TRUE(mproc_test::eventually([&] { return b.n_waiting() == 1; }));
  b.reset();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_FALSE(b.broken()) << "reset leaves the barrier usable";
  EXPECT_EQ(b.n_waiting(), 0u);
}

TEST_P(BarrierTest, APartyKilledWhileWaitingCountsAsArrivedAndTheBarrierGoesOn) {
  mproc::Barrier b(2);
  mproc::Process p(ctx(), mproc::fn<&expect_broken>, b);
  p.start();
  ASSERT_TRUE(mproc_test::eventually([&] { return b.n_waiting() == 1; }));
  p.kill();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(b.wait(kJoinTimeout), 1u) << "the dead party had arrived: this completes the round";
  EXPECT_FALSE(b.broken());
  mproc::Array<int> indices(9);
  mproc::Process q(ctx(), mproc::fn<&pass_rounds>, b, indices, 1, 3);
  q.start();
  for (int round = 0; round < 3; ++round) EXPECT_LT(b.wait(kJoinTimeout), 2u);
  ASSERT_TRUE(q.join(kJoinTimeout));
  EXPECT_EQ(q.exitcode(), 0) << q.failure().value_or("");
}

TEST_P(BarrierTest, APartyKilledHoldingTheLockJustAfterArrivingStillCountsAsArrived) {
  mproc_test::TempDir dir;
  mproc::Barrier b(2);
  mproc::Process p(ctx(), mproc::fn<&wait_then_pause>, b, std::string("arrived"),
                   dir.file("paused"));
  p.start();
  ASSERT_TRUE(mproc_test::eventually([&] { return mproc_test::file_exists(dir.file("paused")); }));
  p.kill();  // inside the barrier's internal lock, between two changes
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(b.wait(kJoinTimeout), 1u) << "the dead party had arrived: this completes the round";
  EXPECT_FALSE(b.broken());
}

TEST_P(BarrierTest, TheLastPartyKilledWhileEndingTheRoundBreaksItAndWakesTheWaiters) {
  mproc_test::TempDir dir;
  mproc::Barrier b(2);
  std::atomic<int> outcome{-1};  // 1: woke up broken; 0: passed; 2: another error
  std::thread sleeper([&] {
    try {
      b.wait(std::chrono::seconds(60));
      outcome = 0;
    } catch (const mproc::broken_barrier_error&) {
      outcome = 1;
    } catch (...) {
      outcome = 2;
    }
  });
  ASSERT_TRUE(mproc_test::eventually([&] { return b.n_waiting() == 1; }));
  mproc::Process p(ctx(), mproc::fn<&wait_then_pause>, b, std::string("last"), dir.file("paused"));
  p.start();
  ASSERT_TRUE(mproc_test::eventually([&] { return mproc_test::file_exists(dir.file("paused")); }));
  p.kill();  // the round is half ended: nobody can vouch for it
  ASSERT_TRUE(p.join(kJoinTimeout));
  // The next use of the barrier finds the dead owner, breaks the barrier and ends the round.
  EXPECT_THROW(b.wait(kJoinTimeout), mproc::broken_barrier_error);
  sleeper.join();
  EXPECT_EQ(outcome.load(), 1) << "the sleeper must wake up broken, not pass or sleep on";
  EXPECT_TRUE(b.broken());
  b.reset();
  mproc::Array<int> indices(3);
  mproc::Process q(ctx(), mproc::fn<&pass_rounds>, b, indices, 1, 1);
  q.start();
  EXPECT_LT(b.wait(kJoinTimeout), 2u) << "reset makes it usable again";
  ASSERT_TRUE(q.join(kJoinTimeout));
}

MPROC_INSTANTIATE_FOR_METHODS(BarrierTest);

TEST(Barrier, AWaitThatTimesOutBreaksTheBarrier) {
  mproc::Barrier b(2, "pair");
  try {
    b.wait(std::chrono::milliseconds(50));
    FAIL();
  } catch (const mproc::broken_barrier_error& e) {
    EXPECT_TRUE(contains(e.what(), "Barrier 'pair': this wait timed out after 50 ms with 1 of 2"))
        << e.what();
  }
  EXPECT_TRUE(b.broken());
  b.reset();
  mproc::Barrier with_default(2, std::chrono::milliseconds(30));
  EXPECT_THROW(with_default.wait(), mproc::broken_barrier_error) << "the default timeout applies";
  EXPECT_EQ(mproc_barrier_wait(with_default.native_handle(), 0, nullptr), MPROC_E_BROKEN);
}

TEST(Barrier, AFailingActionBreaksTheBarrierForEveryone) {
  mproc::Barrier b(2, mproc::fn<&failing_action>);
  std::string other_error;
  std::thread t([&] {
    try {
      b.wait(std::chrono::seconds(30));
    } catch (const mproc::broken_barrier_error& e) {
      other_error = e.what();
    }
  });
  ASSERT_TRUE(mproc_test::eventually([&] { return b.n_waiting() == 1; }));
  try {
    b.wait(std::chrono::seconds(30));
    FAIL();
  } catch (const mproc::broken_barrier_error& e) {
    EXPECT_TRUE(contains(e.what(), "std::runtime_error: the action broke")) << e.what();
  }
  t.join();
  EXPECT_TRUE(contains(other_error, "was broken while this thread waited")) << other_error;
  EXPECT_TRUE(b.broken());
}

TEST(Barrier, OnePartyPassesAloneAndBadArgumentsAreRefused) {
  mproc::Barrier solo(1);
  EXPECT_EQ(solo.wait(), 0u);
  EXPECT_EQ(solo.wait(), 0u);
  EXPECT_THROW(mproc::Barrier(0), mproc::error);
  mproc_barrier_options o = MPROC_BARRIER_OPTIONS_INIT;
  o.action = "no such function";
  mproc_barrier* b = nullptr;
  EXPECT_EQ(mproc_barrier_create(2, &o, &b), MPROC_E_NOT_REGISTERED);
  EXPECT_EQ(mproc_barrier_wait(solo.native_handle(), -7, nullptr), MPROC_E_INVAL);
  EXPECT_EQ(mproc_barrier_parties(nullptr), 0u);
}

}  // namespace
