// backends/posix/handle.cc — the handle facet on POSIX: a handle is a file descriptor.
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "backends/backend.h"
#include "core/status.h"

namespace {

// "<what>: <action>": how the OS error messages of a port's handle start.
std::string where(const char* what, const char* action) {
  return std::string(what) + ": " + action;
}

}  // namespace

bool mproc__handle_valid(intptr_t h) { return h >= 0 && h <= INT32_MAX; }

mproc_status mproc__handle_dup(intptr_t handle, const char* what, intptr_t* out) {
  int fd = ::fcntl(static_cast<int>(handle), F_DUPFD_CLOEXEC, 3);
  if (fd < 0) {
    return mproc__fail_os(errno,
                          std::string(what) + ": duplicating handle " + std::to_string(handle));
  }
  *out = fd;
  return MPROC_OK;
}

void mproc__handle_close(intptr_t handle) {
  if (mproc__handle_valid(handle)) ::close(static_cast<int>(handle));
}

mproc_status mproc__handle_lock_exclusive(intptr_t handle, const char* what) {
  while (::flock(static_cast<int>(handle), LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EWOULDBLOCK) {
      return mproc__failf(MPROC_E_STATE,
                          "%s: the port is already open elsewhere (another process holds its "
                          "exclusive lock; open with `shared` to skip the lock)",
                          what);
    }
    return mproc__fail_os(e, where(what, "flock"));
  }
  return MPROC_OK;
}

mproc_status mproc__handle_keep_private(intptr_t handle, const char* what) {
  const int fd = static_cast<int>(handle);
  const int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
    return mproc__fail_os(errno, where(what, "setting close-on-exec"));
  }
  return MPROC_OK;
}
