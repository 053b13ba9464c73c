// Status codes, error text and the rules for option structs: the parts of the C ABI every other
// part relies on.
#include <cstring>
#include <set>
#include <string>
#include <thread>

#include "support.h"

namespace {

int never_started(const void*, size_t, mproc_call*, void*) { return 0; }

TEST(ErrorCodes, EveryCodeHasAFixedNumberANameAndAText) {
  // The numbers travel between processes: they are part of the ABI and must never change.
  EXPECT_EQ(MPROC_OK, 0);
  EXPECT_EQ(MPROC_E_INVAL, -1);
  EXPECT_EQ(MPROC_E_TIMEOUT, -5);
  EXPECT_EQ(MPROC_E_NO_INIT, -9);
  EXPECT_EQ(MPROC_E_OWNER_DIED, -19);
  EXPECT_EQ(MPROC_E_INTERNAL, -28);
  std::set<std::string> names;
#define CHECK_CODE(name, num, text)                          \
  EXPECT_STREQ(mproc_error_name(num), #name);                \
  EXPECT_STREQ(mproc_strerror(num), text);                   \
  EXPECT_GT(std::strlen(mproc_strerror(num)), 3u);           \
  EXPECT_TRUE(names.insert(#name).second) << "duplicate " #name;
  MPROC_ERROR_MAP(CHECK_CODE)
#undef CHECK_CODE
}

TEST(ErrorCodes, UnknownNumbersHaveAnUnknownNameAndText) {
  EXPECT_STREQ(mproc_error_name(-9999), "UNKNOWN");
  EXPECT_STREQ(mproc_strerror(12345), "unknown mproc status");
}

TEST(ErrorCodes, CppCategoryCarriesTheCodeAndTheMessage) {
  std::error_code ec = mproc::errc::timeout;
  EXPECT_EQ(ec.value(), MPROC_E_TIMEOUT);
  EXPECT_STREQ(ec.category().name(), "mproc");
  EXPECT_EQ(ec.message(), "timed out");
  mproc::error e(MPROC_E_FULL, "queue 'q': full");
  EXPECT_EQ(e.code(), mproc::errc::full);
  EXPECT_NE(std::string(e.what()).find("queue 'q': full"), std::string::npos);
}

TEST(LastError, IsThreadLocalAndNamesTheObject) {
  EXPECT_EQ(mproc_process_create("missing_fn", nullptr, 0, nullptr, nullptr), MPROC_E_INVAL);
  std::string here = mproc_last_error();
  EXPECT_NE(here.find("mproc_process_create"), std::string::npos) << here;
  std::string there = "unset";
  std::thread([&] { there = mproc_last_error(); }).join();
  EXPECT_EQ(there, "") << "another thread's error leaked into a new thread";
  EXPECT_EQ(mproc_last_os_error(), 0);
}

TEST(Version, MatchesTheHeaderAndNamesTheBackend) {
  EXPECT_EQ(mproc_version(), static_cast<uint32_t>(MPROC_VERSION_HEX));
  EXPECT_EQ(std::string(mproc_version_string()),
            std::to_string(MPROC_VERSION_MAJOR) + "." + std::to_string(MPROC_VERSION_MINOR) + "." +
                std::to_string(MPROC_VERSION_PATCH));
  std::string backend = mproc_backend_name();
  EXPECT_TRUE(backend == "posix" || backend == "win32" || backend == "libuv") << backend;
}

// Option structs carry their size: an older caller passes fewer bytes, a newer one more.
struct LongerOptions {
  mproc_process_options base;
  uint64_t future_field;
};

TEST(OptionStructs, ShorterStructFromAnOlderCallerIsZeroFilled) {
  mproc_process_options o = MPROC_PROCESS_OPTIONS_INIT;
  o.size = offsetof(mproc_process_options, daemon);  // a caller that only knew size and name
  o.name = "old-caller";
  o.daemon = 1;                     // beyond the caller's size: must be ignored
  o.start_method = MPROC_START_FORK;  // likewise
  mproc_process* p = nullptr;
  ASSERT_EQ(mproc_process_create("error_test_never_started", nullptr, 0, &o, &p),
            MPROC_E_NOT_REGISTERED);
  ASSERT_EQ(mproc_register("error_test_never_started",
                           &never_started, nullptr),
            MPROC_OK);
  ASSERT_EQ(mproc_process_create("error_test_never_started", nullptr, 0, &o, &p), MPROC_OK);
  EXPECT_STREQ(mproc_process_name(p), "old-caller");
  EXPECT_EQ(mproc_process_daemon(p), 0);
  EXPECT_EQ(mproc_process_start_method(p), mproc_get_start_method());
  mproc_process_destroy(p);
}

TEST(OptionStructs, LongerStructIsAcceptedOnlyWithAZeroTail) {
  ASSERT_EQ(mproc_register("error_test_never_started",
                           &never_started, nullptr),
            MPROC_OK);
  LongerOptions o{};
  o.base = MPROC_PROCESS_OPTIONS_INIT;
  o.base.size = sizeof o;
  mproc_process* p = nullptr;
  EXPECT_EQ(mproc_process_create("error_test_never_started", nullptr, 0, &o.base, &p), MPROC_OK);
  mproc_process_destroy(p);
  o.future_field = 1;
  p = nullptr;
  EXPECT_EQ(mproc_process_create("error_test_never_started", nullptr, 0, &o.base, &p),
            MPROC_E_INVAL);
  EXPECT_EQ(p, nullptr);
  EXPECT_NE(std::string(mproc_last_error()).find("upgrade"), std::string::npos)
      << mproc_last_error();
  o.base.size = 3;
  EXPECT_EQ(mproc_process_create("error_test_never_started", nullptr, 0, &o.base, &p),
            MPROC_E_INVAL);
}

TEST(OptionStructs, NullOptionsMeanDefaults) {
  ASSERT_EQ(mproc_register("error_test_never_started",
                           &never_started, nullptr),
            MPROC_OK);
  mproc_process* p = nullptr;
  ASSERT_EQ(mproc_process_create("error_test_never_started", nullptr, 0, nullptr, &p), MPROC_OK);
  EXPECT_EQ(std::string(mproc_process_name(p)).rfind("Process-", 0), 0u);
  EXPECT_EQ(mproc_process_daemon(p), 0);
  mproc_process_destroy(p);
  mproc_process_destroy(nullptr);  // harmless
}

}  // namespace
