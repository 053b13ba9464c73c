// A socat pseudo-terminal pair for the serial rows (bench/serial_bench.cc and
// bench/limits/serial_floor.cc), started as tests/conformance/serial_test.cc does:
//   socat pty,raw,echo=0,link=<dir>/a pty,raw,echo=0,link=<dir>/b
// Bytes written to a come out of b and back. socat relays between the two ptys in user space
// (read from one master, write to the other, 8 KiB at a time by default), so the pair is itself
// the bottleneck of every serial row: the floor rows measure it with nothing else in the way.
#ifndef MPROC_BENCH_SOCAT_PAIR_H
#define MPROC_BENCH_SOCAT_PAIR_H

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

extern char** environ;

class SocatPair {
 public:
  SocatPair() = default;
  SocatPair(const SocatPair&) = delete;
  SocatPair& operator=(const SocatPair&) = delete;
  ~SocatPair() {
    stop();
    if (!dir_.empty()) {
      ::unlink(log_.c_str());
      ::rmdir(dir_.c_str());
    }
  }

  // Starts socat and waits (10 s at most) for both links; false with a reason otherwise.
  bool start(std::string* why) {
    char tmpl[] = "/tmp/mproc-bench-serial-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      *why = std::string("mkdtemp: ") + std::strerror(errno);
      return false;
    }
    dir_ = tmpl;
    a = dir_ + "/a";
    b = dir_ + "/b";
    log_ = dir_ + "/socat.log";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const std::string pa = "pty,raw,echo=0,link=" + a;
    const std::string pb = "pty,raw,echo=0,link=" + b;
    const char* argv[] = {"socat", pa.c_str(), pb.c_str(), nullptr};
    const int r = ::posix_spawnp(&pid_, "socat", &actions, nullptr, const_cast<char**>(argv),
                                 environ);
    posix_spawn_file_actions_destroy(&actions);
    if (r != 0) {
      *why = r == ENOENT ? "socat is not installed (bash scripts/install-deps.sh installs it)"
                         : std::string("cannot start socat: ") + std::strerror(r);
      pid_ = -1;
      return false;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    struct stat st;
    while (::stat(a.c_str(), &st) != 0 || ::stat(b.c_str(), &st) != 0) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        *why = "socat exited at once (is it installed?)";
        return false;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        *why = "socat did not create its pty links within 10 s";
        stop();
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    ::unlink(a.c_str());
    ::unlink(b.c_str());
  }

  std::string a, b;

 private:
  std::string dir_, log_;
  pid_t pid_ = -1;
};

#endif  // MPROC_BENCH_SOCAT_PAIR_H
