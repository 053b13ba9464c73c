// examples/interim_queue.hpp — INTERIM stand-in for mproc::Queue<std::string> (issue 4, branch
// `queue`), used by examples/serial_forwarding.cc and tests/conformance/serial_test.cc until the
// Queue is merged. When it is: delete this file and replace `interim::Queue` with
// `mproc::Queue<std::string>` (and this include with mproc/queue.hpp) in those two files; the
// calls used (put, get, get with a timeout returning std::optional) mirror Python's Queue.
//
// It is a SOCK_SEQPACKET socketpair (one datagram per item, order kept, up to the socket buffer
// size per item), passed to a child as two handles. Any number of processes may put; get is meant
// for one process (the parent). POSIX only, like the rest of this stand-in.
#ifndef MPROC_EXAMPLES_INTERIM_QUEUE_HPP
#define MPROC_EXAMPLES_INTERIM_QUEUE_HPP

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "mproc/mproc.hpp"

namespace interim {

class Queue {
 public:
  Queue() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
      throw mproc::error(mproc::errc::os_error, "interim::Queue: socketpair failed");
    }
    // A large item must fit the send buffer whole.
    int size = 4 << 20;
    ::setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    ::setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    fds_ = std::make_shared<pair>(fds[0], fds[1]);
  }
  Queue(int read_fd, int write_fd) : fds_(std::make_shared<pair>(read_fd, write_fd)) {}

  void put(const std::string& item) {
    for (;;) {
      if (::send(fds_->write, item.data(), item.size(), MSG_NOSIGNAL) >= 0) return;
      if (errno != EINTR) throw mproc::error(mproc::errc::os_error, "interim::Queue: send failed");
    }
  }

  std::string get() { return receive(-1).value(); }
  template <class Rep, class Period>
  std::optional<std::string> get(std::chrono::duration<Rep, Period> timeout) {
    return receive(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
  }

  int read_fd() const { return fds_->read; }
  int write_fd() const { return fds_->write; }

 private:
  struct pair {
    pair(int r, int w) : read(r), write(w) {}
    ~pair() {
      ::close(read);
      ::close(write);
    }
    int read, write;
  };

  std::optional<std::string> receive(std::int64_t timeout_ms) {
    pollfd p{fds_->read, POLLIN, 0};
    const int r = ::poll(&p, 1, timeout_ms < 0 ? -1 : static_cast<int>(timeout_ms));
    if (r == 0) return std::nullopt;
    if (r < 0 && errno == EINTR) return std::nullopt;
    // MSG_TRUNC with MSG_PEEK gives the item's real length (Linux).
    const ssize_t size = ::recv(fds_->read, nullptr, 0, MSG_PEEK | MSG_TRUNC);
    if (size < 0) throw mproc::error(mproc::errc::os_error, "interim::Queue: recv failed");
    std::string item(static_cast<size_t>(size), '\0');
    const ssize_t n = ::recv(fds_->read, item.data(), item.size(), 0);
    if (n < 0) throw mproc::error(mproc::errc::os_error, "interim::Queue: recv failed");
    item.resize(static_cast<size_t>(n));
    return item;
  }

  std::shared_ptr<pair> fds_;
};

}  // namespace interim

// Travels to a child as its two handles, like the shared objects do.
template <>
struct mproc::codec<interim::Queue> {
  static void encode(std::string& out, const interim::Queue& q) {
    mproc::encode(out, mproc::export_handle(q.read_fd(), "interim::Queue"));
    mproc::encode(out, mproc::export_handle(q.write_fd(), "interim::Queue"));
  }
  static interim::Queue decode(mproc::reader& in) {
    const auto r = mproc::decode<std::uint64_t>(in);
    const auto w = mproc::decode<std::uint64_t>(in);
    return interim::Queue(::fcntl(static_cast<int>(mproc::import_handle(r)), F_DUPFD_CLOEXEC, 3),
                          ::fcntl(static_cast<int>(mproc::import_handle(w)), F_DUPFD_CLOEXEC, 3));
  }
};

#endif  // MPROC_EXAMPLES_INTERIM_QUEUE_HPP
