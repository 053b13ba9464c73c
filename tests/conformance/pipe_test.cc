// Pipe and Connection: the seeds' programs, message boundaries and sizes, both directions, end of
// file (peer closed, ended, killed — also mid-message), buffer-too-short and too-big errors, closed
// connections, threads, and leaks — under every start method.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support.h"

namespace pipe_test {

using StrConn = mproc::Connection<std::string>;
using mproc_test::kJoinTimeout;

// A child's bound on any wait: a test that hangs is a failure, not a stuck run.
constexpr auto kChildWait = std::chrono::seconds(30);
constexpr auto kWait = std::chrono::seconds(30);
constexpr std::int64_t kWaitMs = 30000;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// Runs f, which must throw mproc::error with code `code` and a message containing every part.
template <class F>
void expect_error(F&& f, mproc::errc code, std::initializer_list<const char*> parts) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected " << mproc_error_name(static_cast<int>(code));
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const char* part : parts) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos)
          << "'" << part << "' not in: " << e.what();
    }
  }
}

bool contains(const char* text, const std::string& part) {
  return std::string(text).find(part) != std::string::npos;
}

// Bytes that differ per message and per position, so a mix-up cannot go unnoticed.
std::string pattern(std::size_t size, std::uint32_t salt) {
  std::string s(size, '\0');
  std::uint32_t x = salt * 2654435761u + 1;
  for (std::size_t i = 0; i < size; ++i) {
    x = x * 1103515245u + 12345u;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

constexpr std::size_t kMaxRandomSize = 70 * 1024;
std::vector<std::size_t> random_sizes(std::uint32_t seed, int count) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> dist(0, kMaxRandomSize);
  std::vector<std::size_t> sizes;
  for (int i = 0; i < count; ++i) sizes.push_back(dist(rng));
  return sizes;
}

// ---- functions run in children ----------------------------------------------------------------

// Seed 001.
void seed_send(StrConn conn) {
  std::string data = "hello shiyanlou";
  conn.send(data);
  std::printf("Send Data: %s\n", data.c_str());
}

void seed_recv(StrConn conn) {
  std::optional<std::string> data = conn.recv(kChildWait);
  if (!data) mproc::exit(2);
  std::printf("Receive Data: %s\n", data->c_str());
}

// Seed 003 (without its sleeps: the exchange does not depend on them).
void func_pipe1(StrConn conn, std::string p_id) {
  conn.send(p_id + "_send1");
  std::printf("%s send1\n\n", p_id.c_str());
  conn.send(p_id + "_send2");
  std::printf("%s send2\n\n", p_id.c_str());
  for (int i = 0; i < 2; ++i) {
    std::optional<std::string> rec = conn.recv(kChildWait);
    if (!rec) mproc::exit(2);
    std::printf("%s recv %s\n\n", p_id.c_str(), rec->c_str());
  }
}

void func_pipe2(StrConn conn, std::string p_id) {
  conn.send(p_id);
  std::printf("%s send\n\n", p_id.c_str());
  std::optional<std::string> rec = conn.recv(kChildWait);
  if (!rec) mproc::exit(2);
  std::printf("%s recv %s\n\n", p_id.c_str(), rec->c_str());
}

void send_random_messages(StrConn conn, std::uint32_t seed, int count) {
  std::vector<std::size_t> sizes = random_sizes(seed, count);
  for (int i = 0; i < count; ++i) {
    if (!conn.send_bytes(pattern(sizes[static_cast<std::size_t>(i)], static_cast<std::uint32_t>(i)),
                         kChildWait)) {
      mproc::exit(3);
    }
  }
}

void echo_bytes(StrConn conn) {
  std::optional<std::string> m = conn.recv_bytes(kChildWait);
  if (!m) mproc::exit(2);
  if (!conn.send_bytes(*m, kChildWait)) mproc::exit(3);
}

void add_one(mproc::Connection<int> conn, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    std::optional<int> v = conn.recv(kChildWait);
    if (!v) mproc::exit(2);
    conn.send(*v + 1);
  }
}

void send_two_then_end(StrConn conn) {
  conn.send("one");
  conn.send("two");
}

void say_ready_then_hang(StrConn conn) {
  conn.send("ready");
  mproc_test::platform::sleep_forever();
}

// Blocks in the middle of the message: 64 MiB is far more than the socket buffers hold.
void send_huge_then_hang(StrConn conn) {
  conn.send_bytes(std::string(64u << 20, 'x'));
  mproc_test::platform::sleep_forever();
}

void send_on_send_only_end(StrConn conn) {
  if (conn.readable() || !conn.writable()) mproc::exit(5);
  conn.send("one way");
  try {
    (void)conn.recv(std::chrono::milliseconds(1));
  } catch (const mproc::error& e) {
    mproc::exit(e.code() == mproc::errc::bad_state ? 0 : 6);
  }
  mproc::exit(7);
}

void send_to_closed_peer() {
  // POSIX: SIGPIPE's default action would kill this process if mproc let a write raise it.
  mproc_test::platform::default_broken_pipe_action();
  mproc::Connection<std::string> a, b;
  std::tie(a, b) = mproc::Pipe<std::string>();
  b.close();
  try {
    a.send("nobody listens");
  } catch (const mproc::error& e) {
    mproc::exit(e.code() == mproc::errc::eof ? 0 : 3);
  }
  mproc::exit(4);
}

void noop() {}

// Closes the end it received, then stays alive until killed.
void close_received_end_and_wait(mproc::Connection<std::string> end) {
  end.send("closing now");
  end.close();
  mproc_test::platform::sleep_forever();
}

}  // namespace pipe_test

namespace {

using namespace pipe_test;

class PipeTest : public mproc_test::MethodTest {};

// ---- the seeds ----------------------------------------------------------------------------------

TEST_P(PipeTest, SeedHelloShiyanlouTravelsBetweenTwoProcesses) {
  mproc_test::TempDir dir;
  mproc::Connection<std::string> conn1, conn2;
  std::tie(conn1, conn2) = mproc::Pipe<std::string>();
  mproc::Process sender(ctx(), mproc::fn<&seed_send>, conn1);
  mproc::Process receiver(ctx(), mproc::fn<&seed_recv>, conn2);
  {
    mproc_test::CaptureStdio out(mproc_test::CaptureStdio::kStdout, dir.file("stdout"));
    sender.start();
    receiver.start();
    ASSERT_TRUE(sender.join(kJoinTimeout));
    ASSERT_TRUE(receiver.join(kJoinTimeout));
  }
  EXPECT_EQ(sender.exitcode(), 0);
  EXPECT_EQ(receiver.exitcode(), 0);
  std::vector<std::string> lines = lines_of(mproc_test::read_file(dir.file("stdout")));
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"Receive Data: hello shiyanlou",
                                             "Send Data: hello shiyanlou"}));
}

TEST_P(PipeTest, SeedThreeProcessesShareAPipe) {
  mproc_test::TempDir dir;
  mproc::Connection<std::string> conn1, conn2;
  std::tie(conn1, conn2) = mproc::Pipe<std::string>();
  mproc::Process i1(ctx(), mproc::fn<&func_pipe1>, conn1, std::string("I1"));
  mproc::Process i2(ctx(), mproc::fn<&func_pipe2>, conn2, std::string("I2"));
  mproc::Process i3(ctx(), mproc::fn<&func_pipe2>, conn2, std::string("I3"));
  {
    mproc_test::CaptureStdio out(mproc_test::CaptureStdio::kStdout, dir.file("stdout"));
    i1.start();
    i2.start();
    i3.start();
    ASSERT_TRUE(i1.join(kJoinTimeout));
    ASSERT_TRUE(i2.join(kJoinTimeout));
    ASSERT_TRUE(i3.join(kJoinTimeout));
  }
  EXPECT_EQ(i1.exitcode(), 0);
  EXPECT_EQ(i2.exitcode(), 0);
  EXPECT_EQ(i3.exitcode(), 0);
  std::vector<std::string> lines = lines_of(mproc_test::read_file(dir.file("stdout")));
  std::set<std::string> got(lines.begin(), lines.end());
  EXPECT_EQ(lines.size(), 8u);
  for (const char* line : {"I1 send1", "I1 send2", "I2 send", "I3 send", "I1 recv I2",
                           "I1 recv I3"}) {
    EXPECT_EQ(got.count(line), 1u) << line;
  }
  // I2 and I3 each took one of I1's messages, whole.
  const bool a = got.count("I2 recv I1_send1") && got.count("I3 recv I1_send2");
  const bool b = got.count("I2 recv I1_send2") && got.count("I3 recv I1_send1");
  EXPECT_TRUE(a || b) << mproc_test::read_file(dir.file("stdout"));
}

// Seed 003's second program, in one process.
TEST(Pipe, SeedPollSaysWhetherARecvWouldFindAMessage) {
  mproc::Connection<std::string> conn1, conn2;
  std::tie(conn1, conn2) = mproc::Pipe<std::string>(true);
  conn1.send("A");
  EXPECT_FALSE(conn1.poll());  // nothing waits for conn1
  EXPECT_TRUE(conn2.poll());   // conn1's 'A' waits for conn2
  EXPECT_EQ(conn2.recv(kWait), std::optional<std::string>("A"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(conn2.poll(std::chrono::milliseconds(200)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
}

// ---- messages -----------------------------------------------------------------------------------

TEST_P(PipeTest, ThousandMessagesOfRandomSizesArriveAsSent) {
  constexpr std::uint32_t kSeed = 20240601;
  constexpr int kCount = 1000;
  mproc::Connection<std::string> here, there;
  std::tie(here, there) = mproc::Pipe<std::string>(false);
  mproc::Process p(ctx(), mproc::fn<&send_random_messages>, there, kSeed, kCount);
  p.start();
  there.close();
  std::vector<std::size_t> sizes = random_sizes(kSeed, kCount);
  for (int i = 0; i < kCount; ++i) {
    std::optional<std::string> m = here.recv_bytes(kWait);
    ASSERT_TRUE(m.has_value()) << "message " << i;
    ASSERT_EQ(m->size(), sizes[static_cast<std::size_t>(i)]) << "message " << i;
    ASSERT_EQ(*m, pattern(sizes[static_cast<std::size_t>(i)], static_cast<std::uint32_t>(i)))
        << "message " << i;
  }
  expect_error([&] { (void)here.recv_bytes(kWait); }, mproc::errc::eof, {"end of file"});
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_P(PipeTest, SixtyFourMiBMessageGoesThereAndBack) {
  mproc::Connection<std::string> here, there;
  std::tie(here, there) = mproc::Pipe<std::string>();
  mproc::Process p(ctx(), mproc::fn<&echo_bytes>, there);
  p.start();
  there.close();
  const std::string big = pattern(64u << 20, 64);
  ASSERT_TRUE(here.send_bytes(big, kWait));
  std::optional<std::string> back = here.recv_bytes(kWait);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->size(), big.size());
  EXPECT_TRUE(*back == big);
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST(Pipe, EmptyMessagesAreMessages) {
  mproc::Connection<std::string> a, b;
  std::tie(a, b) = mproc::Pipe<std::string>();
  a.send_bytes("");
  a.send_bytes("x");
  a.send_bytes("");
  EXPECT_EQ(b.recv_bytes(kWait), std::optional<std::string>(""));
  EXPECT_EQ(b.recv_bytes(kWait), std::optional<std::string>("x"));
  EXPECT_EQ(b.recv_bytes(kWait), std::optional<std::string>(""));
  EXPECT_FALSE(b.poll());
}

TEST(Pipe, TypedValuesKeepTheirType) {
  struct point {
    int x;
    double y;
  };
  mproc::Connection<std::vector<point>> a, b;
  std::tie(a, b) = mproc::Pipe<std::vector<point>>();
  a.send({{1, 1.5}, {2, 2.5}});
  std::optional<std::vector<point>> got = b.recv(kWait);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[1].x, 2);
  EXPECT_EQ((*got)[1].y, 2.5);
  // Bytes that are not a vector<point> fail to decode instead of producing garbage.
  a.send_bytes("abc");
  expect_error([&] { (void)b.recv(kWait); }, mproc::errc::decode, {});
}

// ---- directions ---------------------------------------------------------------------------------

TEST_P(PipeTest, DuplexEndsSendAndReceiveBothWays) {
  constexpr int kRounds = 100;
  mproc::Connection<int> here, there;
  std::tie(here, there) = mproc::Pipe<int>();
  EXPECT_TRUE(here.readable() && here.writable() && there.readable() && there.writable());
  mproc::Process p(ctx(), mproc::fn<&add_one>, there, kRounds);
  p.start();
  there.close();
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_TRUE(here.send(i * 10, kWait));
    EXPECT_EQ(here.recv(kWait), std::optional<int>(i * 10 + 1));
  }
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_P(PipeTest, OneWayPipeKeepsItsDirectionInTheChild) {
  mproc::Connection<std::string> receiver, sender;
  std::tie(receiver, sender) = mproc::Pipe<std::string>(false);
  mproc::Process p(ctx(), mproc::fn<&send_on_send_only_end>, sender);
  p.start();
  sender.close();
  EXPECT_EQ(receiver.recv(kWait), std::optional<std::string>("one way"));
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST(Pipe, OneWayPipeRefusesTheWrongDirectionNamingTheEnd) {
  mproc::Connection<std::string> receiver, sender;
  std::tie(receiver, sender) = mproc::Pipe<std::string>(false, {"oneway", 0});
  EXPECT_TRUE(receiver.readable());
  EXPECT_FALSE(receiver.writable());
  EXPECT_FALSE(sender.readable());
  EXPECT_TRUE(sender.writable());
  expect_error([&] { receiver.send("x"); }, mproc::errc::bad_state,
               {"Connection 'oneway[0]'", "only receives"});
  expect_error([&] { (void)sender.recv(kWait); }, mproc::errc::bad_state,
               {"Connection 'oneway[1]'", "only sends"});
  expect_error([&] { (void)sender.poll(); }, mproc::errc::bad_state, {"oneway[1]"});
  sender.send("fine");
  EXPECT_EQ(receiver.recv(kWait), std::optional<std::string>("fine"));
}

TEST(Pipe, TheOsEnforcesADirectionEvenWhenAnEndIsOpenedTheWrongWay) {
  mproc_connection* r = nullptr;
  mproc_connection* s = nullptr;
  ASSERT_EQ(mproc_pipe_create(0, nullptr, &r, &s), MPROC_OK);
  intptr_t h = -1;
  ASSERT_EQ(mproc_connection_handle(r, &h), MPROC_OK);
  mproc_connection* wrong = nullptr;
  ASSERT_EQ(mproc_connection_open(h, nullptr, &wrong), MPROC_OK);  // claims to be duplex
  EXPECT_EQ(mproc_connection_get_mode(wrong), MPROC_CONNECTION_DUPLEX);
  EXPECT_EQ(mproc_connection_send_bytes(wrong, "x", 1, 0), MPROC_E_EOF);
  size_t len = 0;
  EXPECT_EQ(mproc_connection_recv_bytes(s, nullptr, 0, 0, &len), MPROC_E_STATE);
  mproc_connection_destroy(wrong);
  mproc_connection_destroy(r);
  mproc_connection_destroy(s);
}

// ---- poll and end of file -------------------------------------------------------------------------

TEST(Pipe, PollReturnsFalseOnceTheTimeoutPassed) {
  mproc::Connection<std::string> a, b;
  std::tie(a, b) = mproc::Pipe<std::string>();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(b.poll(std::chrono::milliseconds(150)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
  EXPECT_FALSE(b.poll());
  EXPECT_EQ(b.recv(std::chrono::milliseconds(50)), std::nullopt);
  EXPECT_EQ(b.recv_bytes(std::chrono::milliseconds(0)), std::nullopt);
}

TEST(Pipe, EndOfFileOnceThePeerClosedAndEveryMessageWasReceived) {
  mproc::Connection<std::string> a, b;
  std::tie(a, b) = mproc::Pipe<std::string>();
  a.send("last words");
  a.close();
  EXPECT_TRUE(b.poll());
  EXPECT_EQ(b.recv(kWait), std::optional<std::string>("last words"));
  EXPECT_TRUE(b.poll());  // Python: poll() is true at end of file, recv() then raises
  expect_error([&] { (void)b.recv(kWait); }, mproc::errc::eof, {"Pipe-", "end of file"});
  expect_error([&] { b.send("anyone?"); }, mproc::errc::eof, {"end of file"});
}

TEST_P(PipeTest, EndOfFileWhenTheChildClosesTheEndItReceivedWhileItLives) {
  if (GetParam() == mproc::start_method::fork) {
    GTEST_SKIP() << "a forked child holds copies of all its parent's descriptors (Python too)";
  }
  mproc::Connection<std::string> here, there;
  std::tie(here, there) = mproc::Pipe<std::string>();
  mproc::Process p(ctx(), mproc::fn<&close_received_end_and_wait>, there);
  p.start();
  there.close();  // our copy: after this only the child held that end
  EXPECT_EQ(here.recv(kWait), std::optional<std::string>("closing now"));
  EXPECT_TRUE(here.poll(kWait)) << "no EOF although the child closed its end";
  expect_error([&] { (void)here.recv(kWait); }, mproc::errc::eof, {"end of file"});
  EXPECT_TRUE(p.is_alive());
  p.kill();
  ASSERT_TRUE(p.join(mproc_test::kJoinTimeout));
}

TEST_P(PipeTest, EndOfFileWhenThePeerProcessEnds) {
  mproc::Connection<std::string> here, there;
  std::tie(here, there) = mproc::Pipe<std::string>();
  mproc::Process p(ctx(), mproc::fn<&send_two_then_end>, there);
  p.start();
  there.close();
  EXPECT_EQ(here.recv(kWait), std::optional<std::string>("one"));
  EXPECT_EQ(here.recv(kWait), std::optional<std::string>("two"));
  expect_error([&] { (void)here.recv(kWait); }, mproc::errc::eof, {"end of file"});
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_P(PipeTest, EndOfFileWhenThePeerProcessIsKilled) {
  mproc::Connection<std::string> here, there;
  std::tie(here, there) = mproc::Pipe<std::string>();
  mproc::Process p(ctx(), mproc::fn<&say_ready_then_hang>, there);
  p.start();
  there.close();
  ASSERT_EQ(here.recv(kWait), std::optional<std::string>("ready"));
  p.kill();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), mproc::exitcode_killed);
  expect_error([&] { (void)here.recv(kWait); }, mproc::errc::eof, {"end of file"});
  expect_error([&] { here.send("anyone?"); }, mproc::errc::eof, {"end of file"});
}

TEST_P(PipeTest, PeerKilledMidMessageGivesEndOfFileNotPartOfIt) {
  mproc::Connection<std::string> here, there;
  std::tie(here, there) = mproc::Pipe<std::string>();
  mproc::Process p(ctx(), mproc::fn<&send_huge_then_hang>, there);
  p.start();
  there.close();
  ASSERT_TRUE(here.poll(kWait));  // the message has begun; the sender waits for room
  p.kill();
  ASSERT_TRUE(p.join(kJoinTimeout));
  expect_error([&] { (void)here.recv_bytes(kWait); }, mproc::errc::eof,
               {"in the middle of a message", "dropped"});
  expect_error([&] { (void)here.recv_bytes(kWait); }, mproc::errc::eof, {"end of file"});
}

TEST_P(PipeTest, SenderKilledMidMessageGivesEndOfFileEvenWhileItsEndIsOpenElsewhere) {
  mproc::Connection<std::string> here, there;
  std::tie(here, there) = mproc::Pipe<std::string>();
  mproc::Process p(ctx(), mproc::fn<&send_huge_then_hang>, there);
  p.start();
  // `there` stays open in this process: the OS cannot tell that the sender is gone, mproc must.
  ASSERT_TRUE(here.poll(kWait));
  p.kill();
  ASSERT_TRUE(p.join(kJoinTimeout));
  expect_error([&] { (void)here.recv_bytes(kWait); }, mproc::errc::eof,
               {"in the middle of a message", "died"});
}

TEST_P(PipeTest, SendingToAClosedPeerNeverRaisesSigpipe) {
  mproc::Process p(ctx(), mproc::fn<&send_to_closed_peer>);
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);  // POSIX: -SIGPIPE if a write had raised it
}

// ---- sizes --------------------------------------------------------------------------------------

TEST(Pipe, BufferTooShortKeepsTheMessageForARetry) {
  for (std::size_t size : {std::size_t{1000}, std::size_t{140000}}) {  // one packet; three
    mproc_connection* a = nullptr;
    mproc_connection* b = nullptr;
    ASSERT_EQ(mproc_pipe_create(1, nullptr, &a, &b), MPROC_OK);
    const std::string msg = pattern(size, 7);
    ASSERT_EQ(mproc_connection_send_bytes(a, msg.data(), msg.size(), kWaitMs), MPROC_OK);
    std::vector<char> small(10);
    size_t len = 0;
    ASSERT_EQ(mproc_connection_recv_bytes(b, small.data(), small.size(), kWaitMs, &len),
              MPROC_E_BUFFER_TOO_SHORT);
    EXPECT_EQ(len, size);
    EXPECT_TRUE(contains(mproc_last_error(), std::to_string(size) + " bytes")) << mproc_last_error();
    EXPECT_TRUE(contains(mproc_last_error(), "Connection 'Pipe-")) << mproc_last_error();
    // Too short again: still kept.
    ASSERT_EQ(mproc_connection_recv_bytes(b, small.data(), small.size(), kWaitMs, &len),
              MPROC_E_BUFFER_TOO_SHORT);
    EXPECT_EQ(len, size);
    int ready = 0;
    ASSERT_EQ(mproc_connection_poll(b, 0, &ready), MPROC_OK);
    EXPECT_EQ(ready, 1);  // still there
    std::vector<char> big(len);
    ASSERT_EQ(mproc_connection_recv_bytes(b, big.data(), big.size(), kWaitMs, &len), MPROC_OK);
    EXPECT_EQ(std::string(big.data(), len), msg);
    mproc_connection_destroy(a);
    mproc_connection_destroy(b);
  }
}

TEST(Pipe, AMessageKeptAfterBufferTooShortComesBeforeLaterOnes) {
  mproc_connection* s = nullptr;
  mproc_connection* r = nullptr;
  ASSERT_EQ(mproc_pipe_create(1, nullptr, &s, &r), MPROC_OK);
  const std::string first = pattern(100000, 1), second = "second";
  ASSERT_EQ(mproc_connection_send_bytes(s, first.data(), first.size(), kWaitMs), MPROC_OK);
  ASSERT_EQ(mproc_connection_send_bytes(s, second.data(), second.size(), kWaitMs), MPROC_OK);
  char small[100];
  size_t len = 0;
  ASSERT_EQ(mproc_connection_recv_bytes(r, small, sizeof small, kWaitMs, &len),
            MPROC_E_BUFFER_TOO_SHORT);
  EXPECT_EQ(len, first.size());
  void* data = nullptr;
  ASSERT_EQ(mproc_connection_recv_bytes_alloc(r, 0, kWaitMs, &data, &len), MPROC_OK);
  EXPECT_TRUE(std::string(static_cast<char*>(data), len) == first);
  mproc_free(data);
  ASSERT_EQ(mproc_connection_recv_bytes(r, small, sizeof small, kWaitMs, &len), MPROC_OK);
  EXPECT_EQ(std::string(small, len), second);
  // A kept message that then meets a smaller maximum (maxlength) is dropped whole.
  ASSERT_EQ(mproc_connection_send_bytes(s, first.data(), first.size(), kWaitMs), MPROC_OK);
  ASSERT_EQ(mproc_connection_send_bytes(s, second.data(), second.size(), kWaitMs), MPROC_OK);
  ASSERT_EQ(mproc_connection_recv_bytes(r, small, sizeof small, kWaitMs, &len),
            MPROC_E_BUFFER_TOO_SHORT);
  EXPECT_EQ(mproc_connection_recv_bytes_alloc(r, 1000, kWaitMs, &data, &len), MPROC_E_TOO_BIG);
  ASSERT_EQ(mproc_connection_recv_bytes(r, small, sizeof small, kWaitMs, &len), MPROC_OK);
  EXPECT_EQ(std::string(small, len), second);
  mproc_connection_destroy(s);
  mproc_connection_destroy(r);
}

TEST(Pipe, RecvBytesIntoWithAnErrorCodeTellsTheSizeNeeded) {
  mproc::Connection<std::string> a, b;
  std::tie(a, b) = mproc::Pipe<std::string>();
  a.send_bytes("0123456789");
  char buf[4];
  std::error_code ec;
  EXPECT_EQ(b.recv_bytes_into(buf, sizeof buf, ec), 10u);
  EXPECT_EQ(ec, mproc::errc::buffer_too_short);
  expect_error([&] { (void)b.recv_bytes_into(buf, sizeof buf); }, mproc::errc::buffer_too_short,
               {"10 bytes"});
  char enough[10];
  EXPECT_EQ(b.recv_bytes_into(enough, sizeof enough, ec), 10u);
  EXPECT_FALSE(ec);
  EXPECT_EQ(std::string(enough, 10), "0123456789");
}

TEST(Pipe, AllocatingReceiveHandsOverMemoryToFree) {
  mproc_connection* a = nullptr;
  mproc_connection* b = nullptr;
  ASSERT_EQ(mproc_pipe_create(1, nullptr, &a, &b), MPROC_OK);
  ASSERT_EQ(mproc_connection_send_bytes(a, "hello", 5, kWaitMs), MPROC_OK);
  ASSERT_EQ(mproc_connection_send_bytes(a, nullptr, 0, kWaitMs), MPROC_OK);
  void* data = nullptr;
  size_t len = 0;
  ASSERT_EQ(mproc_connection_recv_bytes_alloc(b, 0, kWaitMs, &data, &len), MPROC_OK);
  EXPECT_EQ(std::string(static_cast<char*>(data), len), "hello");
  mproc_free(data);
  ASSERT_EQ(mproc_connection_recv_bytes_alloc(b, 0, kWaitMs, &data, &len), MPROC_OK);
  EXPECT_NE(data, nullptr);
  EXPECT_EQ(len, 0u);
  mproc_free(data);
  mproc_free(nullptr);
  mproc_connection_destroy(a);
  mproc_connection_destroy(b);
}

TEST(Pipe, MessagesAboveTheMaximumAreRefusedNamingTheConnection) {
  mproc::Connection<std::string> a, b;
  std::tie(a, b) = mproc::Pipe<std::string>(true, {"limited", 1000});
  EXPECT_EQ(a.max_message_size(), 1000u);
  a.send_bytes(std::string(1000, 'a'));  // at the limit: fine
  expect_error([&] { a.send_bytes(std::string(1001, 'b')); }, mproc::errc::too_big,
               {"Connection 'limited[0]'", "1001 bytes", "maximum of 1000"});
  EXPECT_EQ(b.recv_bytes(kWait), std::optional<std::string>(std::string(1000, 'a')));
  EXPECT_FALSE(b.poll());  // nothing of the refused message was sent

  // maxlength on the receiving side drops the message and carries on.
  a.send_bytes("0123456789");
  a.send_bytes("ok");
  expect_error([&] { (void)b.recv_bytes(4); }, mproc::errc::too_big, {"10 bytes", "maxlength"});
  EXPECT_EQ(b.recv_bytes(kWait), std::optional<std::string>("ok"));
}

TEST(Pipe, ReceiverWithASmallerMaximumDropsLargerMessages) {
  mproc_connection* a = nullptr;
  mproc_connection* b = nullptr;
  ASSERT_EQ(mproc_pipe_create(1, nullptr, &a, &b), MPROC_OK);
  intptr_t h = -1;
  ASSERT_EQ(mproc_connection_handle(b, &h), MPROC_OK);
  mproc_connection_options o = MPROC_CONNECTION_OPTIONS_INIT;
  o.name = "strict";
  o.max_message_size = 10;
  mproc_connection* strict = nullptr;
  ASSERT_EQ(mproc_connection_open(h, &o, &strict), MPROC_OK);
  const std::string big = pattern(100000, 3);
  ASSERT_EQ(mproc_connection_send_bytes(a, big.data(), big.size(), kWaitMs), MPROC_OK);
  ASSERT_EQ(mproc_connection_send_bytes(a, "small", 5, kWaitMs), MPROC_OK);
  char buf[120000];
  size_t len = 0;
  EXPECT_EQ(mproc_connection_recv_bytes(strict, buf, sizeof buf, kWaitMs, &len), MPROC_E_TOO_BIG);
  EXPECT_EQ(len, big.size());
  EXPECT_TRUE(contains(mproc_last_error(), "Connection 'strict'")) << mproc_last_error();
  EXPECT_TRUE(contains(mproc_last_error(), "dropped")) << mproc_last_error();
  ASSERT_EQ(mproc_connection_recv_bytes(strict, buf, sizeof buf, kWaitMs, &len), MPROC_OK);
  EXPECT_EQ(std::string(buf, len), "small");
  mproc_connection_destroy(strict);
  mproc_connection_destroy(a);
  mproc_connection_destroy(b);
}

// ---- closed connections and bad arguments -------------------------------------------------------

TEST(Pipe, AClosedConnectionRefusesEverythingNamingItself) {
  mproc::Connection<std::string> a, b;
  std::tie(a, b) = mproc::Pipe<std::string>(true, {"shut", 0});
  a.close();
  EXPECT_TRUE(a.closed());
  a.close();  // again: a no-op
  expect_error([&] { a.send("x"); }, mproc::errc::closed, {"Connection 'shut[0]' is closed"});
  expect_error([&] { (void)a.recv(kWait); }, mproc::errc::closed, {"shut[0]"});
  expect_error([&] { (void)a.poll(); }, mproc::errc::closed, {"shut[0]"});
  expect_error([&] { (void)a.fileno(); }, mproc::errc::closed, {"shut[0]"});
  EXPECT_FALSE(b.closed());
  // A copy shares the connection, so it is closed too.
  StrConn copy = b;
  copy.close();
  EXPECT_TRUE(b.closed());
}

TEST(Pipe, EmptyConnectionHandleThrowsInvalidArgument) {
  StrConn none;
  expect_error([&] { none.send("x"); }, mproc::errc::invalid_argument, {"NULL"});
  EXPECT_TRUE(none.closed());
}

TEST(Pipe, CApiRejectsBadArguments) {
  mproc_connection* a = nullptr;
  mproc_connection* b = nullptr;
  EXPECT_EQ(mproc_pipe_create(1, nullptr, &a, nullptr), MPROC_E_INVAL);
  mproc_pipe_options o = MPROC_PIPE_OPTIONS_INIT;
  const std::string long_name(61, 'n');
  o.name = long_name.c_str();
  EXPECT_EQ(mproc_pipe_create(1, &o, &a, &b), MPROC_E_INVAL);
  EXPECT_TRUE(contains(mproc_last_error(), "at most 60 bytes")) << mproc_last_error();
  ASSERT_EQ(mproc_pipe_create(1, nullptr, &a, &b), MPROC_OK);
  EXPECT_EQ(mproc_connection_send_bytes(a, nullptr, 3, 0), MPROC_E_INVAL);
  EXPECT_EQ(mproc_connection_send_bytes(a, "x", 1, -2), MPROC_E_INVAL);
  char buf[4];
  EXPECT_EQ(mproc_connection_recv_bytes(b, buf, sizeof buf, 0, nullptr), MPROC_E_INVAL);
  size_t len = 0;
  EXPECT_EQ(mproc_connection_recv_bytes(b, nullptr, 4, 0, &len), MPROC_E_INVAL);
  EXPECT_EQ(mproc_connection_recv_bytes(b, buf, sizeof buf, 0, &len), MPROC_E_TIMEOUT);
  EXPECT_EQ(mproc_connection_send_bytes(nullptr, "x", 1, 0), MPROC_E_INVAL);
  EXPECT_EQ(mproc_connection_close(nullptr), MPROC_E_INVAL);
  mproc_connection_options co = MPROC_CONNECTION_OPTIONS_INIT;
  const int not_a_mode = 9;  // what a C caller could pass
  std::memcpy(&co.mode, &not_a_mode, sizeof not_a_mode);
  intptr_t h = -1;
  ASSERT_EQ(mproc_connection_handle(a, &h), MPROC_OK);
  mproc_connection* c = nullptr;
  EXPECT_EQ(mproc_connection_open(h, &co, &c), MPROC_E_INVAL);
  EXPECT_EQ(std::string(mproc_connection_name(a)).find("Pipe-"), 0u);
  mproc_connection_destroy(nullptr);
  mproc_connection_destroy(a);
  mproc_connection_destroy(b);
}

TEST(Pipe, OpenRefusesHandlesThatAreNotConnections) {
  mproc_connection* c = nullptr;
  {
    mproc_test::platform::OsPipe pipe;  // an OS pipe, not one of mproc's
    EXPECT_EQ(mproc_connection_open(pipe.read_end(), nullptr, &c), MPROC_E_TYPE_MISMATCH);
    EXPECT_TRUE(contains(mproc_last_error(), "not a Pipe connection")) << mproc_last_error();
  }
  // (A stream socket pair: PipePosix.OpenRefusesAStreamSocketPair.)
  EXPECT_EQ(mproc_connection_open(987654, nullptr, &c), MPROC_E_INVAL);
  EXPECT_EQ(c, nullptr);
}

// ---- threads ------------------------------------------------------------------------------------

TEST(Pipe, OneThreadSendsWhileAnotherReceivesOnTheSameConnection) {
  constexpr int kCount = 300;
  mproc::Connection<int> a, b;
  std::tie(a, b) = mproc::Pipe<int>();
  std::atomic<int> bad{0};
  std::thread a_sends([&bad, a]() mutable {
    for (int i = 0; i < kCount; ++i) {
      if (!a.send(i, kWait)) ++bad;
    }
  });
  std::thread b_receives([&bad, b]() mutable {
    for (int i = 0; i < kCount; ++i) {
      if (b.recv(kWait) != std::optional<int>(i)) ++bad;
    }
  });
  std::thread b_sends([&bad, b]() mutable {
    for (int i = 0; i < kCount; ++i) {
      if (!b.send(-i, kWait)) ++bad;
    }
  });
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(a.recv(kWait), std::optional<int>(-i));
  a_sends.join();
  b_receives.join();
  b_sends.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(Pipe, LargeMessagesFromTwoThreadsDoNotInterleave) {
  constexpr int kEach = 20;
  constexpr std::size_t kSize = 200 * 1024;  // several packets each
  mproc::Connection<std::string> a, b;
  std::tie(a, b) = mproc::Pipe<std::string>();
  auto sender = [a](char fill) mutable {
    for (int i = 0; i < kEach; ++i) a.send_bytes(std::string(kSize, fill));
  };
  std::thread t1(sender, 'x');
  std::thread t2(sender, 'y');
  int xs = 0, ys = 0;
  for (int i = 0; i < 2 * kEach; ++i) {
    std::optional<std::string> m = b.recv_bytes(kWait);
    ASSERT_TRUE(m.has_value());
    ASSERT_EQ(m->size(), kSize);
    const char c = (*m)[0];
    EXPECT_EQ(std::count(m->begin(), m->end(), c), static_cast<std::ptrdiff_t>(kSize));
    (c == 'x' ? xs : ys)++;
  }
  t1.join();
  t2.join();
  EXPECT_EQ(xs, kEach);
  EXPECT_EQ(ys, kEach);
}

// ---- nothing leaks ------------------------------------------------------------------------------

// What this process holds open and the named shared memory it can see (platform.h says what
// each means on Win32).
std::size_t open_fd_count() { return mproc_test::platform::open_handles().size(); }
std::set<std::string> dev_shm() { return mproc_test::platform::shared_memory_names(); }

TEST_P(PipeTest, NothingLeaksInDescriptorsOrDevShm) {
  {
    // Warm up: the forkserver (and its socket here) lives for the whole program.
    mproc::Process warm(ctx(), mproc::fn<&noop>);
    warm.start();
    ASSERT_TRUE(warm.join(kJoinTimeout));
  }
  // Records of ended children are released lazily; active_children() releases them now.
  ASSERT_TRUE(mproc::active_children().empty());
  const std::size_t fds_before = open_fd_count();
  const std::set<std::string> shm_before = dev_shm();
  {
    mproc::Connection<int> here, there;
  std::tie(here, there) = mproc::Pipe<int>();
    mproc::Connection<std::string> r, s;
  std::tie(r, s) = mproc::Pipe<std::string>(false);
    mproc::Process p(ctx(), mproc::fn<&add_one>, there, 3);
    mproc::Process q(ctx(), mproc::fn<&send_two_then_end>, s);
    p.start();
    q.start();
    there.close();
    s.close();
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(here.send(i, kWait));
      ASSERT_EQ(here.recv(kWait), std::optional<int>(i + 1));
    }
    ASSERT_EQ(r.recv(kWait), std::optional<std::string>("one"));
    ASSERT_EQ(r.recv(kWait), std::optional<std::string>("two"));
    ASSERT_TRUE(p.join(kJoinTimeout));
    ASSERT_TRUE(q.join(kJoinTimeout));
    void* data = nullptr;
    size_t len = 0;
    EXPECT_EQ(mproc_connection_recv_bytes_alloc(r.native_handle(), 0, kWaitMs, &data, &len),
              MPROC_E_EOF);
    EXPECT_EQ(data, nullptr);
  }
  ASSERT_TRUE(mproc::active_children().empty());
  EXPECT_EQ(open_fd_count(), fds_before);
  EXPECT_EQ(dev_shm(), shm_before);
}

MPROC_INSTANTIATE_FOR_METHODS(PipeTest);

}  // namespace
