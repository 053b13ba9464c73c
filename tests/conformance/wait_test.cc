// mproc_wait / mproc::wait: connections, process sentinels and any waitable handle together; which
// are ready, timeouts, errors — under every start method.
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support.h"

namespace wait_test {

using StrConn = mproc::Connection<std::string>;
constexpr auto kWait = std::chrono::seconds(30);

void end_when_told(StrConn conn) {
  std::optional<std::string> m = conn.recv(kWait);
  mproc::exit(m ? 0 : 2);
}

// What a later object (a queue, say) looks like to mproc::wait: a handle that becomes ready
// (readable on POSIX, signalled on Win32) when the object is.
using mproc_test::platform::Waitable;

struct with_wait_handle {
  const Waitable* p;
  std::intptr_t wait_handle() const { return p->handle(); }
};

struct with_fileno {
  const Waitable* p;
  std::intptr_t fileno() const { return p->handle(); }
};

using indices = std::vector<std::size_t>;

}  // namespace wait_test

namespace {

using namespace wait_test;
using mproc_test::kJoinTimeout;

class WaitTest : public mproc_test::MethodTest {};

TEST_P(WaitTest, ReturnsExactlyTheReadyConnectionsAndSentinels) {
  StrConn a, b, c, d, ctl_here, ctl_there;
  std::tie(a, b) = mproc::Pipe<std::string>();
  std::tie(c, d) = mproc::Pipe<std::string>();
  std::tie(ctl_here, ctl_there) = mproc::Pipe<std::string>();
  mproc::Process p(ctx(), mproc::fn<&end_when_told>, ctl_there);
  p.start();
  ctl_there.close();

  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(mproc::wait({b, d, p}, std::chrono::milliseconds(100)), indices{});
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));

  a.send("to b");
  EXPECT_EQ(mproc::wait({b, d, p}, kWait), indices{0});
  c.send("to d");
  EXPECT_EQ(mproc::wait({b, d, p}, kWait), (indices{0, 1}));
  EXPECT_EQ(b.recv(kWait), std::optional<std::string>("to b"));
  EXPECT_EQ(mproc::wait({b, d, p}, kWait), indices{1});
  EXPECT_EQ(d.recv(kWait), std::optional<std::string>("to d"));

  ctl_here.send("end");
  EXPECT_EQ(mproc::wait({b, d, p}, kWait), indices{2});  // the process ended
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(mproc::wait({b, d, p}, kWait), indices{2});  // and stays ready once joined
}

TEST_P(WaitTest, CApiTakesRawHandles) {
  StrConn a, b, ctl_here, ctl_there;
  std::tie(a, b) = mproc::Pipe<std::string>();
  std::tie(ctl_here, ctl_there) = mproc::Pipe<std::string>();
  mproc::Process p(ctx(), mproc::fn<&end_when_told>, ctl_there);
  p.start();
  ctl_there.close();
  intptr_t handles[2] = {-1, -1};
  ASSERT_EQ(mproc_connection_fileno(b.native_handle(), &handles[0]), MPROC_OK);
  ASSERT_EQ(mproc_process_sentinel(p.native_handle(), &handles[1]), MPROC_OK);
  size_t ready[2] = {99, 99};
  size_t count = 99;
  ASSERT_EQ(mproc_wait(handles, 2, 0, ready, &count), MPROC_OK);
  EXPECT_EQ(count, 0u);
  ctl_here.send("end");
  ASSERT_EQ(mproc_wait(handles, 2, 30000, ready, &count), MPROC_OK);
  ASSERT_EQ(count, 1u);
  EXPECT_EQ(ready[0], 1u);
  ASSERT_TRUE(p.join(kJoinTimeout));
}

TEST(Wait, HonoursItsTimeoutWhenNothingIsReady) {
  StrConn a, b;
  std::tie(a, b) = mproc::Pipe<std::string>();
  for (auto timeout : {std::chrono::milliseconds(0), std::chrono::milliseconds(120)}) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(mproc::wait({a, b}, timeout), indices{});
    EXPECT_GE(std::chrono::steady_clock::now() - start, timeout);
  }
}

TEST(Wait, ReturnsWhenAnObjectBecomesReadyDuringTheWait) {
  StrConn a, b;
  std::tie(a, b) = mproc::Pipe<std::string>();
  std::thread later([a]() mutable {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    a.send("now");
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(mproc::wait({b}, kWait), indices{0});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  later.join();
}

TEST(Wait, EndOfFileCountsAsReady) {
  StrConn a, b;
  std::tie(a, b) = mproc::Pipe<std::string>();
  a.close();
  EXPECT_EQ(mproc::wait({b}, kWait), indices{0});
}

TEST(Wait, AnythingWithAWaitHandleOrFilenoJoinsTheList) {
  Waitable one, two, three;
  StrConn a, b;
  std::tie(a, b) = mproc::Pipe<std::string>();
  std::vector<mproc::waitable> list = {with_wait_handle{&one}, with_fileno{&two},
                                       mproc::waitable::from_handle(three.handle()), b};
  EXPECT_EQ(mproc::wait(list, std::chrono::milliseconds(0)), indices{});
  two.signal();
  three.signal();
  EXPECT_EQ(mproc::wait(list, kWait), (indices{1, 2}));
  one.signal();
  a.send("x");
  EXPECT_EQ(mproc::wait(list, kWait), (indices{0, 1, 2, 3}));
}

TEST(Wait, RejectsHandlesThatAreNotOpenNamingTheirIndex) {
  Waitable open_one;
  intptr_t handles[2] = {open_one.handle(), 987654};
  size_t ready[2];
  size_t count = 0;
  EXPECT_EQ(mproc_wait(handles, 2, 0, ready, &count), MPROC_E_INVAL);
  EXPECT_NE(std::string(mproc_last_error()).find("index 1"), std::string::npos)
      << mproc_last_error();
  handles[1] = -5;
  EXPECT_EQ(mproc_wait(handles, 2, 0, ready, &count), MPROC_E_INVAL);
  EXPECT_EQ(mproc_wait(nullptr, 2, 0, ready, &count), MPROC_E_INVAL);
  EXPECT_EQ(mproc_wait(handles, 2, 0, nullptr, &count), MPROC_E_INVAL);
  EXPECT_EQ(mproc_wait(handles, 1, 0, ready, nullptr), MPROC_E_INVAL);
  EXPECT_EQ(mproc_wait(handles, 1, -7, ready, &count), MPROC_E_INVAL);
  // Nothing to wait for and no timeout would never return.
  EXPECT_EQ(mproc_wait(nullptr, 0, MPROC_INFINITE, nullptr, &count), MPROC_E_INVAL);
  StrConn a, b;
  std::tie(a, b) = mproc::Pipe<std::string>();
  b.close();
  try {
    (void)mproc::waitable(b);
    ADD_FAILURE() << "a closed connection has no handle to wait on";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::closed);
  }
}

TEST(Wait, NoHandlesWithATimeoutJustSleeps) {
  size_t count = 9;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(mproc_wait(nullptr, 0, 60, nullptr, &count), MPROC_OK);
  EXPECT_EQ(count, 0u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(60));
}

MPROC_INSTANTIATE_FOR_METHODS(WaitTest);

}  // namespace
