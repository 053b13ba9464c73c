// Process before start and after close(): Python's None exitcode, and close() releasing the
// child's record with every later use failing clearly.
#include <string>

#include "support.h"

namespace process_close_test {

void noop() {}

void wait_for(mproc::Event go) { go.wait(std::chrono::seconds(60)); }

}  // namespace process_close_test

namespace {

using mproc_test::kJoinTimeout;
using mproc_test::MethodTest;

class ProcessCloseTest : public MethodTest {};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_P(ProcessCloseTest, ExitcodeBeforeStartIsEmptyAsPythonsNone) {
  mproc::Process p(ctx(), mproc::fn<&process_close_test::noop>);
  EXPECT_FALSE(p.exitcode().has_value());
  int ended = 7, code = 7;
  EXPECT_EQ(mproc_process_exitcode(p.native_handle(), &ended, &code), MPROC_OK);
  EXPECT_EQ(ended, 0);
  EXPECT_EQ(code, 7) << "left alone, as while running";
  p.start();
  ASSERT_TRUE(p.join(kJoinTimeout));
  EXPECT_EQ(p.exitcode(), 0);
}

TEST_P(ProcessCloseTest, CloseWhileRunningFailsAndAfterTheEndReleasesTheProcess) {
  mproc::Event go;
  mproc::Process p(ctx(), mproc::fn<&process_close_test::wait_for>, go);
  p.start();
  try {
    p.close();
    ADD_FAILURE() << "close() of a running process succeeded";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::bad_state);
    EXPECT_TRUE(has(e.what(), "still running")) << e.what();
  }
  EXPECT_TRUE(p.is_alive()) << "a refused close changes nothing";
  go.set();
  ASSERT_TRUE(p.join(kJoinTimeout));
  p.close();
  p.close();  // harmless twice
  for (auto op : std::vector<std::function<void()>>{
           [&] { p.start(); }, [&] { p.join(); }, [&] { (void)p.is_alive(); },
           [&] { (void)p.pid(); }, [&] { (void)p.exitcode(); }, [&] { p.terminate(); },
           [&] { p.kill(); }, [&] { (void)p.sentinel(); }}) {
    try {
      op();
      ADD_FAILURE() << "a closed process answered";
    } catch (const mproc::error& e) {
      EXPECT_EQ(e.code(), mproc::errc::closed);
      EXPECT_TRUE(has(e.what(), "is closed")) << e.what();
      EXPECT_TRUE(has(e.what(), p.name())) << e.what();
    }
  }
  EXPECT_FALSE(p.name().empty()) << "the name still answers";
}

TEST_P(ProcessCloseTest, CloseBeforeStartForbidsStarting) {
  mproc::Process p(ctx(), mproc::fn<&process_close_test::noop>);
  p.close();
  EXPECT_EQ(mproc_process_start(p.native_handle()), MPROC_E_CLOSED);
  EXPECT_EQ(mproc_process_close(nullptr), MPROC_E_INVAL);
}

MPROC_INSTANTIATE_FOR_METHODS(ProcessCloseTest);

}  // namespace
