// Start methods: the default, choosing one globally and per context, names.
#include <algorithm>
#include <string>
#include <vector>

#include "support.h"

namespace {

// Restores the global method after a test that changes it.
class StartMethodTest : public testing::Test {
 protected:
  void SetUp() override { saved_ = mproc_get_start_method(); }
  void TearDown() override { mproc_set_start_method(saved_); }
  mproc_start_method saved_ = MPROC_START_DEFAULT;
};

TEST_F(StartMethodTest, DefaultIsForkserverOnPosixAndSpawnElsewhere) {
  ASSERT_EQ(mproc_set_start_method(MPROC_START_DEFAULT), MPROC_OK);
  std::string backend = mproc_backend_name();
  EXPECT_EQ(mproc_get_start_method(),
            backend == "posix" ? MPROC_START_FORKSERVER : MPROC_START_SPAWN);
}

TEST_F(StartMethodTest, GlobalMethodAppliesToNewProcesses) {
  ASSERT_EQ(mproc_set_start_method(MPROC_START_SPAWN), MPROC_OK);
  EXPECT_EQ(mproc::get_start_method(), mproc::start_method::spawn);
  mproc::Context follows;  // follows the global method
  EXPECT_EQ(follows.method(), mproc::start_method::spawn);
  mproc::Context pinned(mproc::start_method::forkserver);
  ASSERT_EQ(mproc_set_start_method(MPROC_START_FORKSERVER), MPROC_OK);
  EXPECT_EQ(follows.method(), mproc::start_method::forkserver);
  EXPECT_EQ(pinned.method(), mproc::start_method::forkserver);
}

// Python: set_start_method a second time without force raises, even with the same method; with
// force it replaces the method.
TEST_F(StartMethodTest, SettingTheMethodAgainNeedsForce) {
  ASSERT_EQ(mproc_set_start_method_v2(MPROC_START_DEFAULT, 1), MPROC_OK);  // unset
  mproc::set_start_method(mproc::start_method::spawn);
  try {
    mproc::set_start_method(mproc::start_method::spawn);
    FAIL() << "a second set_start_method without force succeeded";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::bad_state);
    EXPECT_NE(std::string(e.what()).find("already set to 'spawn'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("force"), std::string::npos) << e.what();
  }
  EXPECT_EQ(mproc::get_start_method(), mproc::start_method::spawn);
  mproc::set_start_method(mproc::start_method::forkserver, /*force=*/true);
  EXPECT_EQ(mproc::get_start_method(), mproc::start_method::forkserver);
  EXPECT_EQ(mproc_set_start_method_v2(MPROC_START_SPAWN, 0), MPROC_E_STATE);
  EXPECT_EQ(mproc_set_start_method_v2(static_cast<mproc_start_method>(9), 1), MPROC_E_INVAL);
}

TEST_F(StartMethodTest, AllStartMethodsListTheDefaultFirst) {
  std::vector<mproc::start_method> all = mproc::get_all_start_methods();
  ASSERT_FALSE(all.empty());
  ASSERT_EQ(mproc_set_start_method_v2(MPROC_START_DEFAULT, 1), MPROC_OK);
  EXPECT_EQ(all.front(), mproc::get_start_method());
  for (auto m : {mproc::start_method::fork, mproc::start_method::spawn,
                 mproc::start_method::forkserver}) {
    EXPECT_EQ(std::count(all.begin(), all.end(), m), mproc::supported(m) ? 1 : 0)
        << mproc::to_string(m);
  }
  size_t n = 0;
  ASSERT_EQ(mproc_get_all_start_methods(nullptr, 0, &n), MPROC_OK);
  EXPECT_EQ(n, all.size());
  EXPECT_EQ(mproc_get_all_start_methods(nullptr, 2, &n), MPROC_E_INVAL);
  EXPECT_EQ(mproc_get_all_start_methods(nullptr, 0, nullptr), MPROC_E_INVAL);
}

TEST_F(StartMethodTest, NamesRoundTrip) {
  for (auto m : {MPROC_START_DEFAULT, MPROC_START_FORK, MPROC_START_SPAWN, MPROC_START_FORKSERVER}) {
    mproc_start_method back = MPROC_START_DEFAULT;
    ASSERT_EQ(mproc_start_method_from_name(mproc_start_method_name(m), &back), MPROC_OK);
    EXPECT_EQ(back, m);
  }
  EXPECT_STREQ(mproc_start_method_name(static_cast<mproc_start_method>(42)), "unknown");
}

TEST_F(StartMethodTest, BadMethodsAreRefusedWithTheirName) {
  EXPECT_EQ(mproc_set_start_method(static_cast<mproc_start_method>(9)), MPROC_E_INVAL);
  mproc_start_method m;
  EXPECT_EQ(mproc_start_method_from_name("vfork", &m), MPROC_E_INVAL);
  EXPECT_NE(std::string(mproc_last_error()).find("'vfork'"), std::string::npos);
  EXPECT_EQ(mproc_start_method_from_name(nullptr, &m), MPROC_E_INVAL);
  mproc_process_options o = MPROC_PROCESS_OPTIONS_INIT;
  o.start_method = static_cast<mproc_start_method>(7);
  mproc_process* p = nullptr;
  ASSERT_EQ(mproc_register("start_method_test.noop",
                           [](const void*, size_t, mproc_call*, void*) { return 0; }, nullptr),
            MPROC_OK);
  EXPECT_EQ(mproc_process_create("start_method_test.noop", nullptr, 0, &o, &p), MPROC_E_INVAL);
}

TEST(CurrentProcess, MainProcessFacts) {
  EXPECT_EQ(mproc::current_name(), "MainProcess");
  EXPECT_FALSE(mproc::is_child());
  EXPECT_GT(mproc::current_pid(), 0);
  EXPECT_GT(mproc::parent_pid(), 0);
  EXPECT_TRUE(mproc::parent_alive());
  EXPECT_GE(mproc::cpu_count(), 1);
}

}  // namespace
