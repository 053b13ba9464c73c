// Unit tests for the three-kind exit status and Python's exitcode derived from it.
#include <gtest/gtest.h>

#include <string>

#include "backends/process.h"

namespace {

TEST(ExitStatus, PythonsExitcodeForEachKind) {
  EXPECT_EQ(mproc__exit_status_code({mproc__exit_status::exited, 0}), 0);
  EXPECT_EQ(mproc__exit_status_code({mproc__exit_status::exited, 3}), 3);
  EXPECT_EQ(mproc__exit_status_code({mproc__exit_status::signaled, 9}), -9);
  EXPECT_EQ(mproc__exit_status_code({mproc__exit_status::signaled, 15}), -15);
}

TEST(ExitStatus, ACrashCodeNeverReadsAsASignal) {
  // STATUS_ACCESS_VIOLATION, STATUS_STACK_OVERFLOW, STATUS_HEAP_CORRUPTION, STATUS_CONTROL_C_EXIT
  for (uint32_t code : {0xC0000005u, 0xC00000FDu, 0xC0000374u, 0xC000013Au}) {
    int exitcode = mproc__exit_status_code({mproc__exit_status::crashed, code});
    EXPECT_LT(exitcode, -255) << std::hex << code;
    EXPECT_EQ(static_cast<uint32_t>(exitcode), code);
  }
  // A code whose 32 bits would read as -9 (a signal) is reported as INT_MIN instead.
  EXPECT_EQ(mproc__exit_status_code({mproc__exit_status::crashed, 0xFFFFFFF7u}), INT32_MIN);
}

TEST(ExitStatus, DescriptionsSayHowTheProcessEnded) {
  EXPECT_EQ(mproc__exit_status_describe({mproc__exit_status::exited, 3}), "exited with code 3");
  std::string killed = mproc__exit_status_describe({mproc__exit_status::signaled, 9});
  EXPECT_EQ(killed.rfind("killed by signal 9 (", 0), 0u) << killed;
  std::string crashed = mproc__exit_status_describe({mproc__exit_status::crashed, 0xC0000005u});
  EXPECT_EQ(crashed.rfind("crashed with code 0xC0000005", 0), 0u) << crashed;
}

}  // namespace
