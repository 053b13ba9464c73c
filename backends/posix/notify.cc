// backends/posix/notify.cc — notifiers (eventfd) and waiting on several descriptors (poll).
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

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

mproc_status mproc__wait_handles(const intptr_t* handles, size_t count, int64_t timeout_ms,
                                 bool* ready) {
  std::vector<pollfd> fds(count);
  for (size_t i = 0; i < count; ++i) fds[i] = {static_cast<int>(handles[i]), POLLIN, 0};
  const int64_t deadline = timeout_ms < 0 ? -1 : mproc_posix::now_ms() + timeout_ms;
  for (;;) {
    int wait = -1;
    if (deadline >= 0) {
      int64_t left = deadline - mproc_posix::now_ms();
      if (left < 0) left = 0;
      wait = left > 1000000000 ? 1000000000 : static_cast<int>(left);
    }
    int r = ::poll(fds.data(), static_cast<nfds_t>(count), wait);
    if (r > 0) {
      for (size_t i = 0; i < count; ++i) ready[i] = fds[i].revents != 0;
      return MPROC_OK;
    }
    if (r == 0) {
      if (deadline < 0 || mproc_posix::now_ms() >= deadline) return MPROC_E_TIMEOUT;
      continue;
    }
    if (errno != EINTR) return mproc__fail_os(errno, "waiting on handles (poll)");
  }
}
