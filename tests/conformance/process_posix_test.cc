// Process cases that are POSIX by nature: a child ended by a signal it raised reports -N. Elsewhere
// each test compiles to a skip that says why, so the list of tests is the same everywhere.
#include "support.h"

#if !defined(_WIN32)
#include <signal.h>

// The portable names mean the signals' numbers here, as Python reports them.
static_assert(mproc::exitcode_killed == -SIGKILL, "kill() reports -SIGKILL on POSIX");
static_assert(mproc::exitcode_terminated == -SIGTERM, "terminate() reports -SIGTERM on POSIX");
#endif

namespace process_posix_test {

#if !defined(_WIN32)
void crash() {
  ::signal(SIGSEGV, SIG_DFL);  // sanitizers install their own handler; the test wants the OS's
  ::raise(SIGSEGV);
}
#endif

}  // namespace process_posix_test

namespace {

class ProcessPosixTest : public mproc_test::MethodTest {};

TEST_P(ProcessPosixTest, CrashGivesMinusTheSignal) {
#if defined(_WIN32)
  GTEST_SKIP() << "a crash is a signal with a number only on POSIX (Win32 reports an NTSTATUS)";
#else
  mproc::Process p(ctx(), mproc::fn<&process_posix_test::crash>);
  p.start();
  ASSERT_TRUE(p.join(mproc_test::kJoinTimeout));
  EXPECT_EQ(p.exitcode(), -SIGSEGV);
#endif
}

MPROC_INSTANTIATE_FOR_METHODS(ProcessPosixTest);

}  // namespace
