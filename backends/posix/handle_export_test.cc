// The POSIX backend's handles to a running child (mproc__handle_export / mproc__handle_import):
// tokens arrive in order and may be imported in any order, each once; a token that never comes
// fails after the wait with a message naming it; received descriptors are close-on-exec; a child
// that ended cannot be sent anything. The child is forked (a local function), so this binary
// needs no mproc_init.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "backends/backend.h"
#include "core/children.h"
#include "gtest/gtest.h"
#include "mproc/mproc.h"

namespace {

// Returns the step that failed (0: all passed).
int import_steps() {
  intptr_t second = -1, first = -1, again = -1, missing = -1;
  // Token 2 first: token 1 arrives with it (one message) and is kept for later.
  if (mproc__handle_import(2, 20000, &second) != MPROC_OK) return 10;
  if (mproc__handle_import(1, 0, &first) != MPROC_OK) return 11;
  if (mproc__handle_import(1, 0, &again) != MPROC_E_STATE) return 12;
  if (mproc__handle_import(3, 100, &missing) != MPROC_E_TIMEOUT) return 13;
  if (std::string(mproc_last_error()).find("handle 3") == std::string::npos) return 14;
  for (intptr_t h : {first, second}) {
    const int flags = ::fcntl(static_cast<int>(h), F_GETFD);
    if (flags < 0 || (flags & FD_CLOEXEC) == 0) return 15;
  }
  // Handle 1 is the write end of the parent's pipe, handle 2 a decoy (the read end).
  if (::write(static_cast<int>(first), "ok", 2) != 2) return 16;
  ::close(static_cast<int>(first));
  ::close(static_cast<int>(second));
  return 0;
}

int importer(const void*, size_t, mproc_call* call, void*) {
  const int step = import_steps();
  if (step == 0) return 0;
  mproc_call_fail(call, "import", (std::to_string(step) + ": " + mproc_last_error()).c_str());
  return 1;
}

TEST(HandleExport, ImportOutsideAChildIsAStateError) {
  intptr_t h = -1;
  EXPECT_EQ(mproc__handle_import(1, 0, &h), MPROC_E_STATE);
  EXPECT_NE(std::string(mproc_last_error()).find("not started by mproc"), std::string::npos)
      << mproc_last_error();
}

TEST(HandleExport, HandlesReachARunningChildInOrderAndOnlyWhileItRuns) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  mproc_process_options o = MPROC_PROCESS_OPTIONS_INIT;
  o.start_method = MPROC_START_FORK;
  mproc_process* p = nullptr;
  ASSERT_EQ(mproc_process_create_local(&importer, nullptr, &o, &p), MPROC_OK) << mproc_last_error();
  ASSERT_EQ(mproc_process_start(p), MPROC_OK) << mproc_last_error();
  const intptr_t handles[] = {fds[1], fds[0]};
  uint64_t first = 0;
  ASSERT_EQ(mproc__process_export_handles(p, handles, 2, &first), MPROC_OK) << mproc_last_error();
  EXPECT_EQ(first, 1u);
  ::close(fds[1]);  // the child holds its own copy now
  ASSERT_EQ(mproc_process_join(p, 60000), MPROC_OK) << mproc_last_error();
  int ended = 0, code = -1;
  ASSERT_EQ(mproc_process_exitcode(p, &ended, &code), MPROC_OK);
  const char* failure = mproc_process_failure(p);
  EXPECT_EQ(code, 0) << (failure != nullptr ? failure : "");
  char buf[4] = {};
  EXPECT_EQ(::read(fds[0], buf, sizeof buf), 2);
  EXPECT_EQ(std::string(buf), "ok");
  // Ended: nobody can receive.
  EXPECT_EQ(mproc__process_export_handles(p, handles + 1, 1, &first), MPROC_E_CHILD);
  EXPECT_NE(std::string(mproc_last_error()).find("ended"), std::string::npos) << mproc_last_error();
  ::close(fds[0]);
  mproc_process_destroy(p);
}

}  // namespace
