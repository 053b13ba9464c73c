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

