#include "support.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace mproc_test {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "mproc-test-XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
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

int run_command(const std::string& command, std::string* output) {
  FILE* f = ::popen((command + " 2>&1").c_str(), "r");
  if (f == nullptr) return -1;
  char buf[4096];
  size_t n;
  output->clear();
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) output->append(buf, n);
  int status = ::pclose(f);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

CaptureFd::CaptureFd(int fd, const std::string& path) : fd_(fd), saved_(::dup(fd)) {
  std::fflush(nullptr);
  int f = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ::dup2(f, fd);
  ::close(f);
}

CaptureFd::~CaptureFd() {
  std::fflush(nullptr);
  ::dup2(saved_, fd_);
  ::close(saved_);
}

std::string examples_dir() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return (self.parent_path().parent_path() / "examples").string();
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

int ExampleTest::run(const std::string& stem, const std::string& args, std::string* output) {
  const std::string program = examples_dir() + "/mproc_example_" + stem;
  if (!std::filesystem::exists(program)) {
    ADD_FAILURE() << program << " is missing: build the examples before running the suite";
    return -1;
  }
  const std::string command = "timeout 120 '" + program + "' --start-method " +
                              mproc::to_string(GetParam()) + " " + args;
  const int status = run_command(command, output);
  EXPECT_NE(status, 124) << command << ": timed out:\n" << *output;
  return status;
}

}  // namespace mproc_test
