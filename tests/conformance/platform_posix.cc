// platform.h for POSIX systems (Linux first: /proc, gettid). Chosen by tests/CMakeLists.txt when
// the target is not WIN32; scripts/mingw-check.sh leaves it out for the same reason.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "platform.h"

extern char** environ;

namespace mproc_test {
namespace platform {

namespace {

void close_fd(int fd) {
  if (fd >= 0) ::close(fd);
}

// poll() that resumes after a signal with the time left.
int poll_one(int fd, short events, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, timeout_ms);
    if (n >= 0) {
      if (n == 1 && (p.revents & POLLNVAL)) return -1;
      return n;
    }
    if (errno != EINTR) return -1;
    if (timeout_ms >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      timeout_ms = left.count() > 0 ? static_cast<int>(left.count()) : 0;
    }
  }
}

}  // namespace

[[noreturn]] void die_now() {
  ::raise(SIGKILL);
  for (;;) ::pause();  // SIGKILL cannot be caught or blocked; this only satisfies [[noreturn]]
}

[[noreturn]] void sleep_forever() {
  for (;;) ::pause();
}

bool pid_alive(std::int64_t pid) {
  if (pid <= 0 || pid > INT_MAX) return false;
  // EPERM: it exists but belongs to someone else.
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

bool kill_pid(std::int64_t pid) {
  if (pid <= 0 || pid > INT_MAX) return false;
  return ::kill(static_cast<pid_t>(pid), SIGKILL) == 0;
}

int wait_readable(std::intptr_t handle, int timeout_ms) {
  if (handle < 0 || handle > INT_MAX) return -1;
  return poll_one(static_cast<int>(handle), POLLIN, timeout_ms);
}

OsPipe::OsPipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  read_ = fds[0];
  write_ = fds[1];
}

OsPipe::~OsPipe() {
  close_read();
  close_write();
}

void OsPipe::close_read() {
  close_fd(static_cast<int>(read_));
  read_ = -1;
}

void OsPipe::close_write() {
  close_fd(static_cast<int>(write_));
  write_ = -1;
}

bool write_handle(std::intptr_t handle, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(static_cast<int>(handle), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::string read_handle(std::intptr_t handle, std::size_t max) {
  std::string buf(max, '\0');
  for (;;) {
    ssize_t n = ::read(static_cast<int>(handle), buf.data(), max);
    if (n < 0 && errno == EINTR) continue;
    buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return buf;
  }
}

Waitable::Waitable() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  wait_ = fds[0];
  set_ = fds[1];
}

Waitable::~Waitable() {
  close_fd(static_cast<int>(wait_));
  close_fd(static_cast<int>(set_));
}

void Waitable::signal() { (void)write_handle(set_, "x"); }

std::set<std::string> open_handles() {
  std::set<std::string> out;
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return out;
  const std::string self = std::to_string(::dirfd(d));  // the descriptor reading the list
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || name == self) continue;
    char target[512];
    ssize_t n = ::readlink(("/proc/self/fd/" + name).c_str(), target, sizeof target - 1);
    out.insert(name + " -> " + (n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "?"));
  }
  ::closedir(d);
  return out;
}

std::set<std::string> shared_memory_names() {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/dev/shm", ec)) {
    out.insert(e.path().filename().string());
  }
  return out;
}

std::int64_t current_thread_id() {
#if defined(SYS_gettid)
  return static_cast<std::int64_t>(::syscall(SYS_gettid));
#else
  return static_cast<std::int64_t>(::getpid());
#endif
}

bool thread_blocked(std::int64_t thread_id) {
  std::FILE* f =
      std::fopen(("/proc/self/task/" + std::to_string(thread_id) + "/stat").c_str(), "r");
  if (f == nullptr) return false;
  char buf[1024];
  std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  std::string stat(buf, n);
  // "tid (comm) S ...": the name may hold spaces and parentheses, the state follows the last ')'.
  std::size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'S';
}

void set_env(const std::string& name, const std::string& value) {
  ::setenv(name.c_str(), value.c_str(), 1);
}

bool append_file(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

std::string make_temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "mproc-test-XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) throw std::runtime_error("mkdtemp failed");
  return made;
}

std::string self_exe() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : self.string();
}

std::string program_file(const std::string& stem) { return stem; }

bool restrict_to_one_cpu() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  return ::sched_setaffinity(0, sizeof set, &set) == 0;
#else
  return false;
#endif
}

void default_broken_pipe_action() { ::signal(SIGPIPE, SIG_DFL); }

int run_program(const std::string& program, const std::vector<std::string>& args,
                std::chrono::seconds timeout, std::string* output) {
  output->clear();
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  std::vector<std::string> all{program};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int spawned =
      ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (spawned != 0) {
    ::close(out[0]);
    *output = "cannot run " + program;
    return -1;
  }
  // Read until end of file (every writer gone) or the deadline; then kill and reap.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int r = poll_one(out[0], POLLIN, static_cast<int>(left.count()));
    if (r < 0) break;
    if (r == 0) continue;  // the deadline check above ends the loop
    std::string chunk = read_handle(out[0], 4096);
    if (chunk.empty()) break;
    output->append(chunk);
  }
  ::close(out[0]);
  // It may have closed its output and still run: the deadline bounds the wait for its end too.
  int status = 0;
  for (;;) {
    if (timed_out) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return kTimedOut;
    }
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) {
      timed_out = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

CaptureStdio::CaptureStdio(Stream which, const std::string& path)
    : which_(which), saved_(::dup(which)), saved_os_(-1) {
  std::fflush(nullptr);
  int f = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (f >= 0) {
    ::dup2(f, which_);
    ::close(f);
  }
}

CaptureStdio::~CaptureStdio() {
  std::fflush(nullptr);
  if (saved_ >= 0) {
    ::dup2(saved_, which_);
    ::close(saved_);
  }
}

}  // namespace platform
}  // namespace mproc_test
