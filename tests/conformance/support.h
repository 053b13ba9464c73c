// Helpers shared by the conformance tests: start-method parameters, bounded waits, temp dirs.
#ifndef MPROC_TESTS_CONFORMANCE_SUPPORT_H
#define MPROC_TESTS_CONFORMANCE_SUPPORT_H

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "mproc/mproc.hpp"
#include "platform.h"

namespace mproc_test {

// Every start method the backend has; a test suite parameterised on them runs once per method.
inline std::vector<mproc::start_method> all_methods() {
  std::vector<mproc::start_method> out;
  for (auto m : {mproc::start_method::fork, mproc::start_method::spawn,
                 mproc::start_method::forkserver}) {
    out.push_back(m);
  }
  return out;
}

}  // namespace mproc_test

namespace mproc {
// Test names and failure messages show "spawn", not "4-byte object <02-00 00-00>".
inline void PrintTo(start_method m, std::ostream* os) { *os << to_string(m); }
}  // namespace mproc

namespace mproc_test {

struct MethodName {
  std::string operator()(const testing::TestParamInfo<mproc::start_method>& info) const {
    return mproc::to_string(info.param);
  }
};

// Base for tests that run under each start method; skips methods the backend lacks, with a reason.
class MethodTest : public testing::TestWithParam<mproc::start_method> {
 protected:
  void SetUp() override {
    if (!mproc::supported(GetParam())) {
      GTEST_SKIP() << "the " << mproc_backend_name() << " backend has no '"
                   << mproc::to_string(GetParam()) << "' start method";
    }
  }
  mproc::Context ctx() const { return mproc::Context(GetParam()); }
};

#define MPROC_INSTANTIATE_FOR_METHODS(Suite)                                            \
  INSTANTIATE_TEST_SUITE_P(Methods, Suite, testing::ValuesIn(mproc_test::all_methods()), \
                           mproc_test::MethodName())

// Polls pred until true or the timeout passes; a test asserts on the result, never hangs.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// A fresh directory under the system temp dir, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

bool file_exists(const std::string& path);
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);

// Sends stdout or stderr to a file while it lives; children started meanwhile inherit it.
using platform::CaptureStdio;

// The examples build into <build>/examples; this binary is <build>/tests/mproc_conformance.
std::string examples_dir();

// Base for tests that run an example program under each start method (skipped when the examples
// are not part of the build).
class ExampleTest : public MethodTest {
 protected:
  void SetUp() override;
  // Runs examples/mproc_example_<stem> with --start-method and `args` under a 120 s timeout;
  // returns its exit status and its stdout and stderr, interleaved.
  int run(const std::string& stem, const std::vector<std::string>& args, std::string* output);
};

// Generous bound for joins in tests: a hang is a failure, not a stuck CI run.
constexpr auto kJoinTimeout = std::chrono::seconds(60);

}  // namespace mproc_test

#endif  // MPROC_TESTS_CONFORMANCE_SUPPORT_H
