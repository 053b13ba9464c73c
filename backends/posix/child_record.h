// backends/posix/child_record.h — the POSIX backend's record of one started child, and the
// pieces its start methods share.
#ifndef MPROC_BACKENDS_POSIX_CHILD_RECORD_H
#define MPROC_BACKENDS_POSIX_CHILD_RECORD_H

#include <sys/types.h>

#include <string>
#include <vector>

#include "backends/backend.h"
#include "backends/posix/fd.h"

struct mproc__child {
  mproc_start_method method = MPROC_START_DEFAULT;
  pid_t pid = -1;
  // fork/spawn: we are the OS parent; the pidfd is the sentinel and the wait target.
  // forkserver: the server is the OS parent and writes the exit status to status_fd (the
  // sentinel); the pidfd is used only to signal without naming a recycled pid.
  mproc_posix::unique_fd pidfd;
  mproc_posix::unique_fd status_fd;
  mproc_posix::unique_fd report_fd;  // child -> parent records, read end, non-blocking
  bool ended = false;
  mproc__exit_status status;
};

namespace mproc_posix {

// Records a child writes on its report socket: a type byte, a u32 length, the text.
constexpr char kReportReachedInit = 'R';
constexpr char kReportFailure = 'F';
constexpr size_t kMaxReportText = 3800;

// Environment variables that make a run of this program a child: "MPROC_CHILD=<launch fd>,<report
// fd>" or "MPROC_FORKSERVER=<socket fd>". mproc_init reads and removes them.
constexpr const char* kChildEnv = "MPROC_CHILD";
constexpr const char* kForkserverEnv = "MPROC_FORKSERVER";

// The backend's header in front of the core's launch record in the launch memfd: the descriptor
// numbers of the passed handles in the child (spawn keeps them; the forkserver renumbers).
std::string pack_launch(const std::vector<int>& handle_fds, const void* launch, size_t len);
bool unpack_launch(const std::string& packed, std::vector<int>* handle_fds, std::string* launch);

// argv[0] as main received it (saved by mproc_init), else "/proc/self/exe".
std::string program_argv0();

// posix_spawn of this program's own executable with extra env and fds kept open (numbers kept).
// Returns the pid or -1 with errno.
pid_t spawn_self(const std::string& env_assignment, const std::vector<int>& keep_fds);

// In a new child (fork or forkserver): become the child that reports on report_fd and holds the
// given handles, then run the launch record. Never returns.
[[noreturn]] void become_child(int report_fd, std::vector<int> handles, const void* launch,
                               size_t launch_len, mproc_fn local_fn, void* local_userdata);

// Forkserver client, parent side (forkserver.cc).
mproc_status forkserver_start_child(const mproc__start_request* req, mproc__child* c);
mproc_status forkserver_wait(mproc__child* c, int64_t timeout_ms);
// The forkserver client's state belongs to the parent: forget it in a forked child.
void forkserver_forget();
// The server's main loop, run when mproc_init finds kForkserverEnv. Never returns.
[[noreturn]] void forkserver_serve(int sock);

}  // namespace mproc_posix

#endif  // MPROC_BACKENDS_POSIX_CHILD_RECORD_H
