// backends/posix/process.cc — starting children with fork and posix_spawn, waiting on them
// through pidfds, signalling them, and reading what they reported.
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "backends/posix/child_record.h"
#include "core/status.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

using mproc_posix::unique_fd;

namespace mproc_posix {

std::string pack_launch(const std::vector<int>& handle_fds, const void* launch, size_t len) {
  std::string out;
  uint32_t n = static_cast<uint32_t>(handle_fds.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  for (int fd : handle_fds) out.append(reinterpret_cast<const char*>(&fd), sizeof fd);
  out.append(static_cast<const char*>(launch), len);
  return out;
}

bool unpack_launch(const std::string& packed, std::vector<int>* handle_fds, std::string* launch) {
  uint32_t n = 0;
  if (packed.size() < sizeof n) return false;
  std::memcpy(&n, packed.data(), sizeof n);
  size_t header = sizeof n + size_t{n} * sizeof(int);
  if (packed.size() < header) return false;
  handle_fds->resize(n);
  if (n > 0) std::memcpy(handle_fds->data(), packed.data() + sizeof n, size_t{n} * sizeof(int));
  launch->assign(packed, header, std::string::npos);
  return true;
}

pid_t spawn_self(const std::string& env_assignment, const std::vector<int>& keep_fds) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  // dup2 onto itself clears FD_CLOEXEC in the child only (glibc >= 2.29): the descriptor
  // keeps its number, so the number can travel in the environment.
  for (int fd : keep_fds) posix_spawn_file_actions_adddup2(&actions, fd, fd);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

  std::vector<std::string> env = child_environment(env_assignment);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string argv0 = program_argv0();
  char* argv[] = {argv0.data(), nullptr};

  pid_t pid = -1;
  int rc = posix_spawn(&pid, "/proc/self/exe", &actions, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    errno = rc;
    return -1;
  }
  return pid;
}

namespace {

// Only a child sends reports; the parent never calls send. A direct call would go through a PLT
// slot bound lazily on first call, and a forked child's binding is lost with the child: every
// forked child would run the dynamic linker's symbol search over every loaded object again (perf
// showed it as a fifth of a fork child's page faults). Called through its address instead, taken
// here and so bound once when the library loads; volatile keeps the compiler from turning it back
// into a direct call.
ssize_t (*const volatile g_send)(int, const void*, size_t, int) = &::send;

// Thread-safe write of one report record (the child is the only writer of its socket).
void write_report(int fd, char type, const std::string& text) {
  if (fd < 0) return;
  std::string rec(1, type);
  uint32_t len = static_cast<uint32_t>(text.size() < kMaxReportText ? text.size() : kMaxReportText);
  rec.append(reinterpret_cast<const char*>(&len), sizeof len);
  rec.append(text, 0, len);
  // MSG_NOSIGNAL: a parent that is gone must not kill the child with SIGPIPE.
  while (g_send(fd, rec.data(), rec.size(), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno == EINTR) {
  }
}

int g_report_fd = -1;
std::vector<int> g_handles;

}  // namespace

void become_child(int report_fd, std::vector<int> handles, const void* launch, size_t launch_len,
                  mproc_fn local_fn, void* local_userdata) {
  g_report_fd = report_fd;
  g_handles = std::move(handles);
  mproc__core_run_child(launch, launch_len, local_fn, local_userdata);
}

}  // namespace mproc_posix

// ---- child side ---------------------------------------------------------------------------

void mproc__report_reached_init() {
  mproc_posix::write_report(mproc_posix::g_report_fd, mproc_posix::kReportReachedInit, "");
}

void mproc__report_failure(const std::string& text) {
  mproc_posix::write_report(mproc_posix::g_report_fd, mproc_posix::kReportFailure, text);
}

mproc_status mproc__inherited_handle(size_t index, intptr_t* out) {
  if (index >= mproc_posix::g_handles.size()) {
    return mproc__failf(MPROC_E_RANGE, "inherited handle %d: the parent passed %d handles", index,
                        mproc_posix::g_handles.size());
  }
  if (mproc_posix::g_handles[index] < 0) {
    return mproc__failf(MPROC_E_STATE, "inherited handle %d was taken over already", index);
  }
  *out = mproc_posix::g_handles[index];
  return MPROC_OK;
}

mproc_status mproc__inherited_handle_take(size_t index, intptr_t* out) {
  mproc_status st = mproc__inherited_handle(index, out);
  if (st == MPROC_OK) mproc_posix::g_handles[index] = -1;
  return st;
}

// ---- parent side --------------------------------------------------------------------------

namespace {

// A socketpair rather than a pipe: the child can send with MSG_NOSIGNAL.
bool report_socket(unique_fd* parent_end, unique_fd* child_end) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return false;
  parent_end->reset(sv[0]);
  child_end->reset(sv[1]);
  ::shutdown(sv[0], SHUT_WR);
  return true;
}

std::vector<int> handle_fds(const mproc__start_request* req) {
  std::vector<int> fds;
  for (size_t i = 0; i < req->handle_count; ++i) fds.push_back(static_cast<int>(req->handles[i]));
  return fds;
}

mproc_status start_fork(const mproc__start_request* req, mproc__child* c) {
  unique_fd report_parent, report_child;
  if (!report_socket(&report_parent, &report_child)) {
    return mproc__fail_os(errno, "mproc_process_start: socketpair");
  }
  pid_t pid = ::fork();
  if (pid < 0) return mproc__fail_os(errno, "mproc_process_start: fork");
  if (pid == 0) {
    report_parent.reset();
    mproc_posix::forkserver_forget();
    mproc__core_after_fork_child();
    // The report socket of this process (if it is itself a child) belongs to it, not to the
    // new child: the new one reports on its own.
    if (mproc_posix::g_report_fd >= 0) ::close(mproc_posix::g_report_fd);
    mproc_posix::become_child(report_child.release(), handle_fds(req), req->launch,
                              req->launch_len, req->local_fn, req->local_userdata);
  }
  c->pid = pid;
  c->report_fd = std::move(report_parent);
  return MPROC_OK;
}

mproc_status start_spawn(const mproc__start_request* req, mproc__child* c) {
  unique_fd report_parent, report_child;
  if (!report_socket(&report_parent, &report_child)) {
    return mproc__fail_os(errno, "mproc_process_start: socketpair");
  }
  std::vector<int> handles = handle_fds(req);
  unique_fd launch(mproc_posix::bytes_to_memfd(
      mproc_posix::pack_launch(handles, req->launch, req->launch_len)));
  if (!launch) return mproc__fail_os(errno, "mproc_process_start: memfd for the launch record");
  std::vector<int> keep = handles;
  keep.push_back(launch.get());
  keep.push_back(report_child.get());
  std::string env = std::string(mproc_posix::kChildEnv) + "=" + std::to_string(launch.get()) +
                    "," + std::to_string(report_child.get());
  pid_t pid = mproc_posix::spawn_self(env, keep);
  if (pid < 0) return mproc__fail_os(errno, "mproc_process_start: posix_spawn of /proc/self/exe");
  c->pid = pid;
  c->report_fd = std::move(report_parent);
  return MPROC_OK;
}

mproc__exit_status decode_wait_status(const siginfo_t& si) {
  if (si.si_code == CLD_EXITED) {
    return {mproc__exit_status::exited, static_cast<uint32_t>(si.si_status)};
  }
  return {mproc__exit_status::signaled, static_cast<uint32_t>(si.si_status)};  // KILLED, DUMPED
}

}  // namespace

const mproc__caps& mproc__backend_caps() {
  static const mproc__caps caps{/*fork=*/true, /*forkserver=*/true};
  return caps;
}

mproc_start_method mproc__default_start_method() { return MPROC_START_FORKSERVER; }

mproc_status mproc__child_start(const mproc__start_request* req, mproc__child** out) {
  auto* c = new mproc__child;
  c->method = req->method;
  mproc_status st = MPROC_E_INVAL;
  switch (req->method) {
    case MPROC_START_FORK:
      st = start_fork(req, c);
      break;
    case MPROC_START_SPAWN:
      st = start_spawn(req, c);
      break;
    case MPROC_START_FORKSERVER:
      st = mproc_posix::forkserver_start_child(req, c);
      break;
    default:
      st = mproc__fail(MPROC_E_INTERNAL, "mproc__child_start: method not resolved");
      break;
  }
  if (st == MPROC_OK && req->method != MPROC_START_FORKSERVER) {
    // Our own unreaped child: its pid cannot be recycled before we wait, so this is race-free.
    c->pidfd.reset(mproc_posix::pidfd_open(c->pid));
    if (!c->pidfd) {
      int e = errno;
      ::kill(c->pid, SIGKILL);
      ::waitpid(c->pid, nullptr, 0);
      st = mproc__fail_os(e, "mproc_process_start: pidfd_open (Linux >= 5.3 is required)");
    }
  }
  if (st != MPROC_OK) {
    delete c;
    return st;
  }
  *out = c;
  return MPROC_OK;
}

mproc_status mproc__child_wait(mproc__child* c, int64_t timeout_ms, mproc__exit_status* status) {
  if (!c->ended) {
    if (c->method == MPROC_START_FORKSERVER) {
      mproc_status st = mproc_posix::forkserver_wait(c, timeout_ms);
      if (st != MPROC_OK) return st;
    } else {
      int r = mproc_posix::wait_readable(c->pidfd.get(), timeout_ms);
      if (r < 0) return mproc__fail_os(errno, "mproc_process_join: poll on the process's pidfd");
      if (r == 0) return MPROC_E_TIMEOUT;
      siginfo_t si{};
      int w;
      do {
        w = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(c->pidfd.get()), &si,
                     WEXITED);
      } while (w < 0 && errno == EINTR);
      if (w < 0) return mproc__fail_os(errno, "mproc_process_join: waitid");
      c->status = decode_wait_status(si);
      c->ended = true;
    }
  }
  *status = c->status;
  return MPROC_OK;
}

mproc_status mproc__child_signal(mproc__child* c, bool kill_now) {
  if (c->ended) return MPROC_OK;
  int sig = kill_now ? SIGKILL : SIGTERM;
  if (c->pidfd) {
    if (mproc_posix::pidfd_send_signal(c->pidfd.get(), sig) == 0 || errno == ESRCH) return MPROC_OK;
    return mproc__fail_os(errno, kill_now ? "mproc_process_kill" : "mproc_process_terminate");
  }
  if (::kill(c->pid, sig) == 0 || errno == ESRCH) return MPROC_OK;
  return mproc__fail_os(errno, kill_now ? "mproc_process_kill" : "mproc_process_terminate");
}

int64_t mproc__child_pid(const mproc__child* c) { return c->pid; }

intptr_t mproc__child_sentinel(const mproc__child* c) {
  return c->method == MPROC_START_FORKSERVER ? c->status_fd.get() : c->pidfd.get();
}

void mproc__child_report(mproc__child* c, bool* reached_init, std::string* failure) {
  *reached_init = false;
  failure->clear();
  if (!c->report_fd) return;
  std::string buf;
  char chunk[4096];
  for (;;) {
    // Never wait: a grandchild forked by the child may still hold the other end open.
    ssize_t r = ::recv(c->report_fd.get(), chunk, sizeof chunk, MSG_DONTWAIT);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    buf.append(chunk, static_cast<size_t>(r));
  }
  size_t pos = 0;
  while (buf.size() - pos >= 5) {
    char type = buf[pos];
    uint32_t len;
    std::memcpy(&len, buf.data() + pos + 1, sizeof len);
    if (buf.size() - pos - 5 < len) break;
    if (type == mproc_posix::kReportReachedInit) *reached_init = true;
    if (type == mproc_posix::kReportFailure) failure->assign(buf, pos + 5, len);
    pos += 5 + len;
  }
}

void mproc__child_release(mproc__child* c) { delete c; }
