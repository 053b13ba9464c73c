// backends/posix/child.cc — the child side: mproc_init's bootstrap, watching the parent, exiting.
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "backends/posix/child_record.h"
#include "core/status.h"

namespace {

std::string g_argv0;
mproc_posix::unique_fd g_parent_pidfd;
bool g_parent_watched = false;
bool g_parent_gone = false;

[[noreturn]] void bootstrap_failed(const std::string& what) {
  std::fprintf(stderr, "mproc: cannot start as a child process: %s\n", what.c_str());
  std::fflush(stderr);
  ::_exit(1);
}

}  // namespace

std::string mproc_posix::program_argv0() {
  return g_argv0.empty() ? std::string("/proc/self/exe") : g_argv0;
}

void mproc__child_bootstrap(int argc, char** argv) {
  if (argc > 0 && argv != nullptr && argv[0] != nullptr) g_argv0 = argv[0];
  if (const char* server = std::getenv(mproc_posix::kForkserverEnv)) {
    int sock = std::atoi(server);
    ::unsetenv(mproc_posix::kForkserverEnv);
    mproc_posix::forkserver_serve(sock);
  }
  const char* child = std::getenv(mproc_posix::kChildEnv);
  if (child == nullptr) return;
  int launch_fd = -1, report_fd = -1;
  if (std::sscanf(child, "%d,%d", &launch_fd, &report_fd) != 2 || launch_fd < 0 || report_fd < 0) {
    bootstrap_failed(std::string("malformed ") + mproc_posix::kChildEnv + "=" + child);
  }
  // Our grandchildren must not mistake themselves for children of our parent.
  ::unsetenv(mproc_posix::kChildEnv);
  std::string packed, launch;
  std::vector<int> handles;
  if (!mproc_posix::memfd_to_bytes(launch_fd, &packed) ||
      !mproc_posix::unpack_launch(packed, &handles, &launch)) {
    bootstrap_failed("the launch record could not be read: " + mproc__os_error_text(errno));
  }
  ::close(launch_fd);
  mproc_posix::become_child(report_fd, std::move(handles), launch.data(), launch.size(), nullptr,
                            nullptr);
}

bool mproc__spawned_without_init() {
  return std::getenv(mproc_posix::kChildEnv) != nullptr ||
         std::getenv(mproc_posix::kForkserverEnv) != nullptr;
}

void mproc__parent_watch(int64_t parent_pid) {
  g_parent_watched = true;
  g_parent_pidfd.reset(mproc_posix::pidfd_open(static_cast<pid_t>(parent_pid)));
  if (!g_parent_pidfd && errno == ESRCH) g_parent_gone = true;
}

bool mproc__parent_alive() {
  if (!g_parent_watched) mproc__parent_watch(::getppid());
  if (g_parent_gone) return false;
  if (!g_parent_pidfd) return ::getppid() != 1;  // no pidfd (e.g. EMFILE): best effort
  pollfd p{g_parent_pidfd.get(), POLLIN, 0};
  if (::poll(&p, 1, 0) > 0) g_parent_gone = true;
  return !g_parent_gone;
}

namespace {
// Called through its address, bound when the library loads, not through a lazily bound PLT slot
// that each forked child would bind anew (see g_send in process.cc).
void (*const volatile g_exit)(int) = &::_exit;
}  // namespace

void mproc__exit(int code) {
  std::fflush(nullptr);
  g_exit(code);
  __builtin_unreachable();
}
