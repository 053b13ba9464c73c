// Process: start, join, exit codes, signals, names, daemons, sentinels, parent liveness — under
// every start method.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

namespace process_test {

void noop() {}
void exit_with(int code) { mproc::exit(code); }

void check_args(int a, std::string s, std::vector<double> v, std::map<std::string, int> m) {
  bool ok = a == -42 && s == std::string("h\0llo", 5) && v == std::vector<double>{1.5, 2.5} &&
            m == std::map<std::string, int>{{"x", 1}, {"y", 2}};
  mproc::exit(ok ? 0 : 3);
}

// A pattern the child can check byte for byte without receiving a second copy.
std::string big_pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131u + i / 4096u) & 0xff);
  return s;
}

void check_big_argument(std::string s, size_t expected_size) {
  mproc::exit(s.size() == expected_size && s == big_pattern(expected_size) ? 0 : 3);
}

void throw_runtime(std::string message) { throw std::runtime_error(message); }

void sleep_forever() {
  for (;;) ::pause();
}

void crash() {
  ::signal(SIGSEGV, SIG_DFL);  // sanitizers install their own handler; the test wants the OS's
  ::raise(SIGSEGV);
}

void write_marker(std::string path, int delay_ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  mproc_test::write_file(path, "done");
}

void report_identity(std::string path) {
  mproc_test::write_file(path, std::to_string(mproc::current_pid()) + " " +
                                   std::to_string(mproc::parent_pid()) + " " +
                                   (mproc::parent_alive() ? "alive" : "dead") + " " +
                                   (mproc::is_child() ? "child" : "main") + " " +
                                   mproc::current_name());
}

void report_pid_then_sleep(std::string path) {
  mproc_test::write_file(path, std::to_string(mproc::current_pid()));
  sleep_forever();
}

void start_daemon_grandchild(std::string dir, int method) {
  mproc::Process gc(mproc::Context(static_cast<mproc::start_method>(method)),
                    mproc::fn<&report_pid_then_sleep>, dir + "/grandchild");
  gc.daemon(true);
  gc.start();
  if (!mproc_test::eventually([&] { return mproc_test::file_exists(dir + "/grandchild"); })) {
    mproc::exit(5);
  }
  // Returning ends this process: mproc terminates and joins the daemonic grandchild first.
}

void start_plain_grandchild(std::string dir, int method) {
  mproc::Process gc(mproc::Context(static_cast<mproc::start_method>(method)),
                    mproc::fn<&write_marker>, dir + "/late", 300);
  gc.start();
  // Returning ends this process: mproc joins the grandchild first, so "late" exists after us.
}

void daemon_tries_child(int method) {
  mproc::Process gc(mproc::Context(static_cast<mproc::start_method>(method)), mproc::fn<&noop>);
  try {
    gc.start();
  } catch (const mproc::error& e) {
    mproc::exit(e.code() == mproc::errc::bad_state ? 0 : 4);
  }
  mproc::exit(3);
}

void wait_for_parent_death(std::string path) {
  bool saw = mproc_test::eventually([] { return !mproc::parent_alive(); }, std::chrono::seconds(30));
  if (saw) mproc_test::write_file(path, "parent died");
}

void orphan_a_grandchild(std::string dir, int method) {
  mproc::Process gc(mproc::Context(static_cast<mproc::start_method>(method)),
                    mproc::fn<&wait_for_parent_death>, dir + "/orphan");
  gc.start();
  ::raise(SIGKILL);  // die without the exit-time join, leaving the grandchild behind
}

void print_line(std::string text) {
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
}

void pin_to_one_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) mproc::exit(4);
  mproc::exit(mproc::cpu_count() == 1 ? 0 : 3);
}

void write_to_inherited(int index, std::string text) {
  auto fd = static_cast<int>(mproc::import_handle(static_cast<std::uint64_t>(index)));
  mproc::exit(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) ? 0 : 3);
}

void expect_no_handle(int index) {
  intptr_t h = -1;
  int st = mproc_inherited_handle(static_cast<size_t>(index), &h);
  mproc::exit(st == MPROC_E_RANGE ? 0 : 3);
}

}  // namespace process_test

namespace {

using namespace process_test;
using mproc_test::kJoinTimeout;
using mproc_test::MethodTest;

class ProcessTest : public MethodTest {};

TEST_P(ProcessTest, StartRunsTheFunctionAndJoinGivesExitCodeZero) {
  mproc::Process p(ctx(), mproc::fn<&noop>);
  EXPECT_FALSE(p.is_alive());
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_FALSE(p.is_alive());
  EXPECT_EQ(p.method(), GetParam());
}

TEST_P(ProcessTest, ExitCodeIsWhatTheChildExitedWith) {
  mproc::Process p(ctx(), mproc::fn<&exit_with>, 7);
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 7);
  EXPECT_FALSE(p.failure().has_value());
}

TEST_P(ProcessTest, ArgumentsArriveDecodedAsTheParameterTypes) {
  mproc::Process p(ctx(), mproc::fn<&check_args>, -42, std::string("h\0llo", 5),
                   std::vector<double>{1.5, 2.5}, std::map<std::string, int>{{"x", 1}, {"y", 2}});
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0) << "the child decoded different values";
}

// Small launch records travel inline in the forkserver's request and large ones in a memfd:
// both sides of that limit (32 KiB), and a large one, arrive whole under every method.
TEST_P(ProcessTest, SmallAndLargeArgumentsArriveWhole) {
  for (size_t n : {size_t{100}, size_t{32 * 1024 - 200}, size_t{32 * 1024 + 200},
                   size_t{4} << 20}) {
    mproc::Process p(ctx(), mproc::fn<&check_big_argument>, big_pattern(n), n);
    p.start();
    ASSERT_TRUE(p.join(kJoinTimeout)) << n;
    EXPECT_EQ(p.exitcode(), 0) << "a " << n << "-byte argument arrived changed";
  }
}

TEST_P(ProcessTest, UncaughtExceptionExitsWithOneAndReportsTypeAndMessage) {
  mproc_test::TempDir dir;
  mproc::Process p(ctx(), mproc::fn<&throw_runtime>, std::string("boom 42"));
  {
    mproc_test::CaptureFd err(2, dir.file("stderr"));
    p.start();
    ASSERT_TRUE(p.join(kJoinTimeout));
  }
  EXPECT_EQ(p.exitcode(), 1);
  ASSERT_TRUE(p.failure().has_value());
  EXPECT_EQ(*p.failure(), "std::runtime_error: boom 42");
  EXPECT_NE(mproc_test::read_file(dir.file("stderr"))
                .find("Process " + p.name() + ": std::runtime_error: boom 42"),
            std::string::npos)
      << mproc_test::read_file(dir.file("stderr"));
}

TEST_P(ProcessTest, KillGivesMinusNineAndTerminateMinusFifteen) {
  mproc::Process a(ctx(), mproc::fn<&sleep_forever>);
  mproc::Process b(ctx(), mproc::fn<&sleep_forever>);
  a.start();
  b.start();
  a.kill();
  b.terminate();
  ASSERT_TRUE(a.join(kJoinTimeout));
  ASSERT_TRUE(b.join(kJoinTimeout));
  EXPECT_EQ(a.exitcode(), -SIGKILL);
  EXPECT_EQ(b.exitcode(), -SIGTERM);
  EXPECT_NO_THROW(a.terminate()) << "terminate after the end is a no-op";
}

TEST_P(ProcessTest, CrashGivesMinusTheSignal) {
  mproc::Process p(ctx(), mproc::fn<&crash>);
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), -SIGSEGV);
}

TEST_P(ProcessTest, JoinWithTimeoutReturnsFalseWhileRunning) {
  mproc::Process p(ctx(), mproc::fn<&sleep_forever>);
  p.start();
  EXPECT_FALSE(p.join(std::chrono::milliseconds(50)));
  EXPECT_TRUE(p.is_alive());
  EXPECT_FALSE(p.exitcode().has_value());
  p.terminate();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_FALSE(p.is_alive());
}

TEST_P(ProcessTest, ChildKnowsItsPidParentNameAndThatParentIsAlive) {
  mproc_test::TempDir dir;
  mproc::Process p(ctx(), mproc::fn<&report_identity>, dir.file("id"));
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  ASSERT_EQ(p.exitcode(), 0);
  std::string expected = std::to_string(p.pid()) + " " + std::to_string(mproc::current_pid()) +
                         " alive child " + p.name();
  EXPECT_EQ(mproc_test::read_file(dir.file("id")), expected);
  EXPECT_EQ(p.name().rfind("Process-", 0), 0u) << p.name();
  EXPECT_NE(p.pid(), mproc::current_pid());
}

TEST_P(ProcessTest, NameSetBeforeStartIsTheChildsName) {
  mproc_test::TempDir dir;
  mproc::Process p(ctx(), mproc::fn<&report_identity>, dir.file("id"));
  p.name("worker-α");
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  std::string id = mproc_test::read_file(dir.file("id"));
  EXPECT_EQ(id.substr(id.rfind(' ') + 1), "worker-α");
  EXPECT_THROW(p.name("late"), mproc::error);
  EXPECT_THROW(p.daemon(true), mproc::error);
}

TEST_P(ProcessTest, SentinelBecomesReadableWhenTheChildEnds) {
  mproc::Process p(ctx(), mproc::fn<&sleep_forever>);
  p.start();
  pollfd fd{static_cast<int>(p.sentinel()), POLLIN, 0};
  EXPECT_EQ(::poll(&fd, 1, 0), 0) << "readable while the child runs";
  p.kill();
  EXPECT_EQ(::poll(&fd, 1, 60000), 1);
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), -SIGKILL);
}

TEST_P(ProcessTest, ActiveChildrenListsLiveChildrenOnly) {
  mproc::Process p(ctx(), mproc::fn<&sleep_forever>);
  p.name("listed");
  p.start();
  auto has = [&] {
    for (auto& c : mproc::active_children()) {
      if (c.pid == p.pid() && c.name == "listed") return true;
    }
    return false;
  };
  EXPECT_TRUE(has());
  p.kill();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_FALSE(has());
}

TEST_P(ProcessTest, DaemonicGrandchildIsTerminatedWhenItsParentExits) {
  mproc_test::TempDir dir;
  mproc::Process p(ctx(), mproc::fn<&start_daemon_grandchild>, dir.path(),
                   static_cast<int>(GetParam()));
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  ASSERT_EQ(p.exitcode(), 0);
  pid_t gc = static_cast<pid_t>(std::stol(mproc_test::read_file(dir.file("grandchild"))));
  // The parent terminated and joined it before exiting, so it is gone already.
  EXPECT_EQ(::kill(gc, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST_P(ProcessTest, NonDaemonicGrandchildIsJoinedWhenItsParentExits) {
  mproc_test::TempDir dir;
  mproc::Process p(ctx(), mproc::fn<&start_plain_grandchild>, dir.path(),
                   static_cast<int>(GetParam()));
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  ASSERT_EQ(p.exitcode(), 0);
  EXPECT_TRUE(mproc_test::file_exists(dir.file("late")));
}

TEST_P(ProcessTest, DaemonicProcessMayNotStartChildren) {
  mproc::Process p(ctx(), mproc::fn<&daemon_tries_child>, static_cast<int>(GetParam()));
  p.daemon(true);
  EXPECT_TRUE(p.daemon());
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_P(ProcessTest, ChildSeesItsParentDie) {
  mproc_test::TempDir dir;
  mproc::Process p(ctx(), mproc::fn<&orphan_a_grandchild>, dir.path(),
                   static_cast<int>(GetParam()));
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), -SIGKILL);
  EXPECT_TRUE(mproc_test::eventually([&] { return mproc_test::file_exists(dir.file("orphan")); },
                                     std::chrono::seconds(40)));
}

TEST_P(ProcessTest, ChildWritesToTheParentsStandardOutput) {
  mproc_test::TempDir dir;
  mproc::Process p(ctx(), mproc::fn<&print_line>, std::string("hello from the child"));
  {
    mproc_test::CaptureFd out(1, dir.file("stdout"));
    p.start();
    ASSERT_TRUE(p.join(kJoinTimeout));
  }
  EXPECT_EQ(mproc_test::read_file(dir.file("stdout")), "hello from the child\n");
}

TEST_P(ProcessTest, CpuCountHonoursTheAffinityMask) {
  EXPECT_GE(mproc::cpu_count(), 1);
  EXPECT_LE(mproc::cpu_count(), static_cast<int>(std::thread::hardware_concurrency()));
  mproc::Process p(ctx(), mproc::fn<&pin_to_one_cpu>);
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_P(ProcessTest, AnyCallableRunsUnderForkOnly) {
  mproc_test::TempDir dir;
  std::string path = dir.file("lambda");
  auto make = [&] {
    return mproc::Process(ctx(), [path] { mproc_test::write_file(path, "ran"); });
  };
  if (GetParam() != mproc::start_method::fork) {
    try {
      make();
      FAIL() << "a callable was accepted under " << mproc::to_string(GetParam());
    } catch (const mproc::error& e) {
      EXPECT_EQ(e.code(), mproc::errc::not_supported);
      EXPECT_NE(std::string(e.what()).find("fork"), std::string::npos) << e.what();
    }
    return;
  }
  mproc::Process p = make();
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(mproc_test::read_file(path), "ran");
}

TEST_P(ProcessTest, HandlesPassedBeforeStartReachTheChild) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  mproc::Process p(ctx(), mproc::fn<&write_to_inherited>, 1, std::string("through the pipe"));
  size_t index = 99;
  // Handle 0 is a decoy: the child must use the index it was told, whatever its fd number.
  ASSERT_EQ(mproc_process_add_handle(p.native_handle(), fds[0], &index), MPROC_OK);
  EXPECT_EQ(index, 0u);
  ASSERT_EQ(mproc_process_add_handle(p.native_handle(), fds[1], &index), MPROC_OK);
  EXPECT_EQ(index, 1u);
  ::close(fds[1]);  // the process holds its own duplicate
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
  char buf[64] = {};
  pollfd pfd{fds[0], POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 10000), 1);
  ssize_t n = ::read(fds[0], buf, sizeof buf);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<size_t>(n) : 0), "through the pipe");
  ::close(fds[0]);
  EXPECT_EQ(mproc_process_add_handle(p.native_handle(), 0, nullptr), MPROC_E_STATE);
}

TEST_P(ProcessTest, MissingInheritedHandleIsARangeError) {
  mproc::Process p(ctx(), mproc::fn<&expect_no_handle>, 0);
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_P(ProcessTest, InvalidHandleIsRefusedWhenAdded) {
  mproc::Process p(ctx(), mproc::fn<&noop>);
  EXPECT_EQ(mproc_process_add_handle(p.native_handle(), 987654, nullptr), MPROC_E_OS);
  EXPECT_NE(std::string(mproc_last_error()).find(p.name()), std::string::npos) << mproc_last_error();
}

TEST(SharedObjectArguments, EncodingOutsideAProcessIsRefused) {
  try {
    mproc::export_handle(0, "Queue 'q'");
    FAIL() << "export_handle accepted a handle with no process to carry it";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::not_supported);
    EXPECT_NE(std::string(e.what()).find("Queue 'q'"), std::string::npos);
  }
}

// ---- bad input ----------------------------------------------------------------------------

TEST_P(ProcessTest, StartingTwiceIsAStateError) {
  mproc::Process p(ctx(), mproc::fn<&noop>);
  p.start();
  try {
    p.start();
    FAIL() << "second start accepted";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::bad_state);
    EXPECT_NE(std::string(e.what()).find(p.name()), std::string::npos) << e.what();
  }
  ASSERT_TRUE(p.join(kJoinTimeout));
}

TEST_P(ProcessTest, JoinTerminatePidBeforeStartAreStateErrors) {
  mproc::Process p(ctx(), mproc::fn<&noop>);
  for (auto op : std::vector<std::function<void()>>{
           [&] { p.join(); }, [&] { p.terminate(); }, [&] { p.kill(); }, [&] { (void)p.pid(); },
           [&] { (void)p.sentinel(); }}) {
    try {
      op();
      ADD_FAILURE() << "accepted before start";
    } catch (const mproc::error& e) {
      EXPECT_EQ(e.code(), mproc::errc::bad_state);
      EXPECT_NE(std::string(e.what()).find("has not been started"), std::string::npos);
    }
  }
}

TEST_P(ProcessTest, NegativeTimeoutIsInvalid) {
  mproc::Process p(ctx(), mproc::fn<&noop>);
  p.start();
  EXPECT_EQ(mproc_process_join(p.native_handle(), -5), MPROC_E_INVAL);
  EXPECT_NE(std::string(mproc_last_error()).find("-5"), std::string::npos) << mproc_last_error();
  ASSERT_TRUE(p.join(kJoinTimeout));
}

TEST_P(ProcessTest, UnregisteredNameIsRefusedInTheParent) {
  mproc_process_options o = MPROC_PROCESS_OPTIONS_INIT;
  o.start_method = static_cast<mproc_start_method>(GetParam());
  mproc_process* p = reinterpret_cast<mproc_process*>(0x1);
  EXPECT_EQ(mproc_process_create("no_such_function", nullptr, 0, &o, &p), MPROC_E_NOT_REGISTERED);
  EXPECT_EQ(p, nullptr);
  EXPECT_NE(std::string(mproc_last_error()).find("'no_such_function'"), std::string::npos);
}

TEST_P(ProcessTest, ArgumentsThatFailToDecodeFailTheChildAndTheParentLearnsWhy) {
  mproc_process_options o = MPROC_PROCESS_OPTIONS_INIT;
  o.start_method = static_cast<mproc_start_method>(GetParam());
  mproc_process* p = nullptr;
  const char garbage[] = "xyz";
  ASSERT_EQ(mproc_process_create(mproc::fn<&check_args>.name().c_str(), garbage, 3, &o, &p),
            MPROC_OK);
  mproc_test::TempDir dir;
  {
    mproc_test::CaptureFd err(2, dir.file("stderr"));
    ASSERT_EQ(mproc_process_start(p), MPROC_OK);
    ASSERT_EQ(mproc_process_join(p, 60000), MPROC_OK);
  }
  int ended = 0, code = 0;
  ASSERT_EQ(mproc_process_exitcode(p, &ended, &code), MPROC_OK);
  EXPECT_EQ(ended, 1);
  EXPECT_EQ(code, 1);
  ASSERT_NE(mproc_process_failure(p), nullptr);
  EXPECT_NE(std::string(mproc_process_failure(p)).find("mproc::decode_error"), std::string::npos)
      << mproc_process_failure(p);
  mproc_process_destroy(p);
}

MPROC_INSTANTIATE_FOR_METHODS(ProcessTest);

// The C test program registers "work" but its main never calls mproc_init.
TEST(ProcessNoInit, ForgottenInitIsReportedAndCannotForkBomb) {
  for (std::string method : {"spawn", "forkserver"}) {
    std::string out;
    int status = mproc_test::run_command(
        "timeout 120 " MPROC_TEST_PROGRAM_DIR "/mproc_test_no_init " + method, &out);
    EXPECT_NE(status, 0) << method << ": " << out;
    EXPECT_NE(status, 124) << method << ": timed out (a fork bomb or a hang): " << out;
    EXPECT_NE(out.find("E_NO_INIT"), std::string::npos) << method << ": " << out;
    EXPECT_NE(out.find("mproc_init(argc, argv)"), std::string::npos) << method << ": " << out;
    EXPECT_EQ(out.find("work ran"), std::string::npos) << method << ": " << out;
  }
}

}  // namespace
