// backends/posix/notify.cc — notifiers (eventfd) and keyed notifiers (abstract AF_UNIX datagram
// sockets).
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/posix/fd.h"
#include "core/status.h"

mproc_status mproc__notifier_create(const char* what, intptr_t* out) {
  // Non-blocking: clearing a notifier that is not ready must not wait.
  int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return mproc__fail_os(errno, std::string(what) + ": eventfd");
  *out = fd;
  return MPROC_OK;
}

void mproc__notifier_signal(intptr_t notifier) {
  uint64_t one = 1;
  // EAGAIN means the counter is saturated, which is as ready as it gets.
  while (::write(static_cast<int>(notifier), &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void mproc__notifier_clear(intptr_t notifier) {
  uint64_t count;
  while (::read(static_cast<int>(notifier), &count, sizeof count) < 0 && errno == EINTR) {
  }
}

// ---- Keyed notifiers ----------------------------------------------------------------------------

namespace {

// The abstract address of a key: a leading NUL, then "mproc-w-<16 hex digits>" (no filesystem
// entry; the kernel frees the name with the last descriptor of the socket).
socklen_t key_address(uint64_t key, sockaddr_un* a) {
  std::memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  int n = std::snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "mproc-w-%016llx",
                        static_cast<unsigned long long>(key));
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + static_cast<size_t>(n));
}

// This process's unbound sending socket, made on first use. A forked child makes its own (the
// atfork handler forgets the parent's, whose number the child's program may close or reuse); the
// inherited descriptor is left alone for that reason.
std::atomic<int> g_send_fd{-1};

void forget_send_socket_in_child() { g_send_fd.store(-1, std::memory_order_relaxed); }

int send_socket() {
  int fd = g_send_fd.load(std::memory_order_acquire);
  if (fd >= 0) return fd;
  static const bool registered =
      ::pthread_atfork(nullptr, nullptr, forget_send_socket_in_child) == 0;
  (void)registered;
  fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  // No lock (a fork while one is held would leave the child stuck): two threads that race here
  // both make one, and the loser closes its own.
  int none = -1;
  if (!g_send_fd.compare_exchange_strong(none, fd, std::memory_order_acq_rel)) {
    ::close(fd);
    return none;
  }
  return fd;
}

std::atomic<uint32_t> g_key_counter{0};

}  // namespace

mproc_status mproc__keyed_notifier_create(const char* what, intptr_t* handle, uint64_t* key) {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return mproc__fail_os(errno, std::string(what) + ": socket for a wait handle");
  std::random_device rd;
  const uint64_t pid = static_cast<uint32_t>(::getpid());
  for (int attempt = 0; attempt < 64; ++attempt) {
    uint32_t low = (g_key_counter.fetch_add(1, std::memory_order_relaxed) << 12) ^
                   (static_cast<uint32_t>(rd()) & 0xfffu);
    uint64_t k = (pid << 32) | low;
    if (k == 0) continue;
    sockaddr_un a;
    socklen_t len = key_address(k, &a);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0) {
      *handle = fd;
      *key = k;
      return MPROC_OK;
    }
    if (errno != EADDRINUSE) break;
  }
  int e = errno;
  ::close(fd);
  return mproc__fail_os(e, std::string(what) + ": bind of a wait handle's address");
}

bool mproc__keyed_notifier_signal(uint64_t key) {
  int fd = send_socket();
  if (fd < 0) return true;  // cannot tell: keep the key
  sockaddr_un a;
  socklen_t len = key_address(key, &a);
  char one = 1;
  for (;;) {
    if (::sendto(fd, &one, 1, MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&a),
                 len) >= 0) {
      return true;
    }
    if (errno == EINTR) continue;
    // Gone: nobody is bound to the address any more.
    return !(errno == ECONNREFUSED || errno == ENOENT);
  }
}

void mproc__keyed_notifier_drain(intptr_t handle) {
  char buf[64];
  for (;;) {
    ssize_t n = ::recv(static_cast<int>(handle), buf, sizeof buf, MSG_DONTWAIT);
    if (n >= 0) continue;
    if (errno == EINTR) continue;
    return;
  }
}
