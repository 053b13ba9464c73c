// Pipe cases that are POSIX by nature: raw descriptors of kinds Win32 does not have. Elsewhere
// each test compiles to a skip that says why, so the list of tests is the same everywhere.
#include "support.h"

#if !defined(_WIN32)
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace {

TEST(PipePosix, OpenRefusesAStreamSocketPair) {
#if defined(_WIN32)
  GTEST_SKIP() << "socketpair(AF_UNIX, SOCK_STREAM) descriptors are POSIX";
#else
  // A connected socket looks like a connection to the OS; it is still not one of mproc's.
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  mproc_connection* c = nullptr;
  EXPECT_EQ(mproc_connection_open(fds[0], nullptr, &c), MPROC_E_TYPE_MISMATCH);
  EXPECT_NE(std::string(mproc_last_error()).find("not a Pipe connection"), std::string::npos)
      << mproc_last_error();
  EXPECT_EQ(c, nullptr);
  ::close(fds[0]);
  ::close(fds[1]);
#endif
}

}  // namespace
