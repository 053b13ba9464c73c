#include "support.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mproc_test {

TempDir::TempDir() : path_(platform::make_temp_dir()) {}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool file_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  // Write then rename, so a reader polling for the file never sees it half written.
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
  }
  std::filesystem::rename(tmp, path);
}

std::string examples_dir() {
  const std::string self = platform::self_exe();
  if (self.empty()) return {};
  return (std::filesystem::path(self).parent_path().parent_path() / "examples").string();
}

void ExampleTest::SetUp() {
  MethodTest::SetUp();
  if (IsSkipped()) return;
  // CMake makes <build>/examples only when the examples are configured; then they must exist.
  if (!std::filesystem::is_directory(examples_dir())) {
    GTEST_SKIP() << "the examples are not part of this build (" << examples_dir()
                 << " does not exist; configure with -DMPROC_BUILD_EXAMPLES=ON)";
  }
}

int ExampleTest::run(const std::string& stem, const std::vector<std::string>& args,
                     std::string* output) {
  const std::string program =
      examples_dir() + "/" + platform::program_file("mproc_example_" + stem);
  if (!std::filesystem::exists(program)) {
    ADD_FAILURE() << program << " is missing: build the examples before running the suite";
    return -1;
  }
  std::vector<std::string> all{"--start-method", mproc::to_string(GetParam())};
  all.insert(all.end(), args.begin(), args.end());
  const int status = platform::run_program(program, all, std::chrono::seconds(120), output);
  EXPECT_NE(status, platform::kTimedOut) << program << ": timed out:\n" << *output;
  return status;
}

}  // namespace mproc_test
