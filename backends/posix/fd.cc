// backends/posix/fd.cc — descriptor helpers.
#include "backends/posix/fd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

extern char** environ;

namespace mproc_posix {

void unique_fd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int64_t deadline_ms(int64_t timeout_ms) {
  if (timeout_ms < 0) return -1;
  const int64_t now = now_ms();
  return timeout_ms > INT64_MAX - now ? INT64_MAX : now + timeout_ms;
}

int wait_readable(int fd, int64_t timeout_ms) {
  const int64_t deadline = deadline_ms(timeout_ms);
  for (;;) {
    int wait = -1;
    if (deadline >= 0) {
      int64_t left = deadline - now_ms();
      if (left < 0) left = 0;
      wait = left > 1000000000 ? 1000000000 : static_cast<int>(left);
    }
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, wait);
    if (r > 0) return 1;
    if (r == 0) {
      if (deadline < 0 || now_ms() >= deadline) return 0;
      continue;
    }
    if (errno != EINTR) return -1;
  }
}

bool write_all(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool read_exact(int fd, void* data, size_t n) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (r == 0) {
      errno = EPIPE;
      return false;
    }
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

int bytes_to_memfd(const std::string& bytes) {
  int fd = static_cast<int>(::syscall(SYS_memfd_create, "mproc-launch", MFD_CLOEXEC));
  if (fd < 0) return -1;
  // 0600, not memfd_create's 0777: the launch record is the parent's business only.
  if (::fchmod(fd, 0600) != 0 || !write_all(fd, bytes.data(), bytes.size())) {
    int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

bool memfd_to_bytes(int fd, std::string* out) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return false;
  out->resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out->size()) {
    ssize_t r = ::pread(fd, &(*out)[done], out->size() - done, static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

bool send_with_fds(int sock, const void* data, size_t n, const std::vector<int>& fds) {
  iovec iov{const_cast<void*>(data), n};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * fds.size()));
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    ssize_t r = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (r >= 0) return static_cast<size_t>(r) == n;
    if (errno != EINTR) return false;
  }
}

ssize_t recv_with_fds(int sock, void* data, size_t n, std::vector<int>* fds) {
  iovec iov{data, n};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 256)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t r;
  do {
    r = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return r;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      const unsigned char* p = CMSG_DATA(c);
      for (size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, p + i * sizeof(int), sizeof(int));
        fds->push_back(fd);
      }
    }
  }
  return r;
}

std::vector<std::string> child_environment(const std::string& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "MPROC_CHILD=", 12) == 0 || std::strncmp(*e, "MPROC_FORKSERVER=", 17) == 0) {
      continue;
    }
    env.emplace_back(*e);
  }
  if (!extra.empty()) env.push_back(extra);
  return env;
}

}  // namespace mproc_posix
