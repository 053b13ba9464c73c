// backends/posix/fd.h — small helpers over file descriptors shared by the POSIX backend's files.
#ifndef MPROC_BACKENDS_POSIX_FD_H
#define MPROC_BACKENDS_POSIX_FD_H

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mproc_posix {

// Owns one descriptor.
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) : fd_(fd) {}
  ~unique_fd() { reset(); }
  unique_fd(unique_fd&& o) noexcept : fd_(o.release()) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1);
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Milliseconds on the monotonic clock, for deadlines.
int64_t now_ms();
// now_ms() + timeout_ms, saturated (INT64_MAX ms must not overflow into a past or "no" deadline);
// -1 (none) for a negative timeout.
int64_t deadline_ms(int64_t timeout_ms);

// Waits until fd is readable. Returns 1 readable (or hung up), 0 timeout, -1 error (errno set).
// timeout_ms: -1 forever, 0 poll. Restarts after EINTR with the remaining time.
int wait_readable(int fd, int64_t timeout_ms);

// Writes/reads all n bytes, retrying after EINTR and short transfers. false on error or EOF.
bool write_all(int fd, const void* data, size_t n);
bool read_exact(int fd, void* data, size_t n);

// A sealed-size anonymous file (memfd) holding bytes: how large launch records reach a child
// without a pipe that could fill up while the child is not yet reading.
int bytes_to_memfd(const std::string& bytes);  // -1 with errno on failure
bool memfd_to_bytes(int fd, std::string* out);

int pidfd_open(pid_t pid);
int pidfd_send_signal(int pidfd, int sig);

// Sends data and descriptors in one SOCK_SEQPACKET message (MSG_NOSIGNAL).
bool send_with_fds(int sock, const void* data, size_t n, const std::vector<int>& fds);
// Receives one message: returns bytes received (0 on EOF, -1 error); fds received are appended
// (with O_CLOEXEC set).
ssize_t recv_with_fds(int sock, void* data, size_t n, std::vector<int>* fds);

// The environment for a child: this process's, minus our control variables, plus extra.
std::vector<std::string> child_environment(const std::string& extra);

}  // namespace mproc_posix

#endif  // MPROC_BACKENDS_POSIX_FD_H
