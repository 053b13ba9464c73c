// backends/posix/forkserver.cc — the forkserver start method.
//
// On first use the parent spawns a fresh run of the program (it is single-threaded and has a small
// heap); mproc_init in it enters forkserver_serve(). For each child the parent sends one
// SOCK_SEQPACKET message: the launch record inline when it is small (most are: a name and a few
// arguments), and descriptors: the child's report socket, a status pipe, the parent's
// stdin/stdout/stderr (so the child writes where its requester writes, not where the server
// started), any passed handles, and last a memfd with the launch record when it is not inline.
// The server forks, writes the child's pid and later its exit status to the status pipe, which is
// the parent's sentinel for the child.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>

#include "backends/posix/child_record.h"
#include "core/status.h"

namespace mproc_posix {
namespace {

constexpr uint32_t kRequestMagic = 0x4d50465a;  // "MPFZ"
constexpr char kHello = 'H';
// Generous: under sanitizers a fresh run of a large test binary takes seconds to reach main.
constexpr int64_t kServerStartTimeoutMs = 120000;
constexpr int64_t kPidReplyTimeoutMs = 120000;
constexpr size_t kMaxHandles = 240;  // SCM_RIGHTS carries at most 253 descriptors

// Inline, the launch record costs no memfd_create, write, fstat, pread and closes on the start
// path; larger records (big arguments) go in a memfd, as one message must fit the socket buffer.
constexpr size_t kMaxInlineLaunch = 32 * 1024;

struct Request {
  uint32_t magic;
  uint32_t handle_count;
  uint32_t inline_len;  // bytes of launch record after this header; 0: a memfd comes last
  uint32_t reserved;
};

// Descriptor order in a request; a launch memfd, if any, follows the handles.
enum { kFdReport, kFdStatus, kFdStdin, kFdStdout, kFdStderr, kFdFirstHandle };

struct Client {
  std::mutex mu;
  unique_fd sock;
  pid_t server_pid = -1;
};

Client* g_client = new Client;  // leaked: children may be started from atexit handlers

mproc_status ensure_server(Client& c) {
  if (c.sock) {
    // A server that died (killed by someone) is replaced rather than failing every start.
    int status;
    if (::waitpid(c.server_pid, &status, WNOHANG) == 0) return MPROC_OK;
    c.sock.reset();
  }
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return mproc__fail_os(errno, "forkserver: socketpair");
  }
  unique_fd ours(sv[0]), theirs(sv[1]);
  pid_t pid = spawn_self(std::string(kForkserverEnv) + "=" + std::to_string(theirs.get()),
                         {theirs.get()});
  if (pid < 0) return mproc__fail_os(errno, "forkserver: posix_spawn of /proc/self/exe");
  theirs.reset();
  char hello = 0;
  int r = wait_readable(ours.get(), kServerStartTimeoutMs);
  ssize_t n = r > 0 ? ::recv(ours.get(), &hello, 1, 0) : -1;
  if (n != 1 || hello != kHello) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (n == 0) {
      return mproc__fail(
          MPROC_E_NO_INIT,
          "forkserver: the server (a new run of this program) ended before serving: the program's "
          "main() must call mproc_init(argc, argv) first");
    }
    return mproc__fail(MPROC_E_CHILD, "forkserver: the server did not start within its timeout");
  }
  c.sock = std::move(ours);
  c.server_pid = pid;
  return MPROC_OK;
}

}  // namespace

mproc_status forkserver_start_child(const mproc__start_request* req, mproc__child* child) {
  if (req->handle_count > kMaxHandles) {
    return mproc__failf(MPROC_E_INVAL, "mproc_process_start: %d handles passed, at most %d",
                        req->handle_count, kMaxHandles);
  }
  const bool inline_launch = req->launch_len > 0 && req->launch_len <= kMaxInlineLaunch;
  unique_fd launch;
  if (!inline_launch) {
    launch.reset(bytes_to_memfd(pack_launch({}, req->launch, req->launch_len)));
    if (!launch) return mproc__fail_os(errno, "mproc_process_start: memfd for the launch record");
  }
  int rs[2], st[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rs) != 0) {
    return mproc__fail_os(errno, "mproc_process_start: socketpair");
  }
  unique_fd report_parent(rs[0]), report_child(rs[1]);
  ::shutdown(rs[0], SHUT_WR);
  if (::pipe2(st, O_CLOEXEC) != 0) return mproc__fail_os(errno, "mproc_process_start: pipe");
  unique_fd status_parent(st[0]), status_server(st[1]);

  std::vector<int> fds{report_child.get(), status_server.get(), 0, 1, 2};
  for (size_t i = 0; i < req->handle_count; ++i) fds.push_back(static_cast<int>(req->handles[i]));
  if (!inline_launch) fds.push_back(launch.get());
  Request header{kRequestMagic, static_cast<uint32_t>(req->handle_count),
                 inline_launch ? static_cast<uint32_t>(req->launch_len) : 0u, 0u};
  std::string msg(reinterpret_cast<const char*>(&header), sizeof header);
  if (inline_launch) msg.append(static_cast<const char*>(req->launch), req->launch_len);
  {
    std::lock_guard<std::mutex> lock(g_client->mu);
    mproc_status s = ensure_server(*g_client);
    if (s != MPROC_OK) return s;
    if (!send_with_fds(g_client->sock.get(), msg.data(), msg.size(), fds)) {
      int e = errno;
      g_client->sock.reset();  // next start spawns a new server
      return mproc__fail_os(e, "mproc_process_start: sending the request to the forkserver");
    }
  }
  launch.reset();
  report_child.reset();
  status_server.reset();
  int64_t pid = -1;
  if (wait_readable(status_parent.get(), kPidReplyTimeoutMs) <= 0 ||
      !read_exact(status_parent.get(), &pid, sizeof pid) || pid <= 0) {
    return mproc__fail(MPROC_E_CHILD, "mproc_process_start: the forkserver did not report a pid "
                                      "(it died or could not fork; see its stderr)");
  }
  child->pid = static_cast<pid_t>(pid);
  // Opened right after the server reported the pid: the server reaps (and so frees the pid) only
  // after writing the exit status, which we have not read, so the pid is still this child's
  // unless it ended in this instant.
  child->pidfd.reset(pidfd_open(child->pid));
  child->status_fd = std::move(status_parent);
  child->report_fd = std::move(report_parent);
  return MPROC_OK;
}

mproc_status forkserver_wait(mproc__child* c, int64_t timeout_ms) {
  int r = wait_readable(c->status_fd.get(), timeout_ms);
  if (r < 0) return mproc__fail_os(errno, "mproc_process_join: poll on the forkserver status pipe");
  if (r == 0) return MPROC_E_TIMEOUT;
  int32_t code = 0;
  if (!read_exact(c->status_fd.get(), &code, sizeof code)) {
    return mproc__failf(MPROC_E_CHILD,
                        "mproc_process_join: the forkserver died, so the exit status of pid %d is "
                        "unknown",
                        static_cast<int>(c->pid));
  }
  // The server encodes the status as the fork start method reports it: -N for signal N.
  c->status = code < 0 ? mproc__exit_status{mproc__exit_status::signaled, static_cast<uint32_t>(-code)}
                       : mproc__exit_status{mproc__exit_status::exited, static_cast<uint32_t>(code)};
  c->ended = true;
  return MPROC_OK;
}

void forkserver_forget() {
  // The forked child must not share the parent's connection (its requests would interleave with
  // the parent's); it starts its own server if it needs one. Never lock: another thread of the
  // parent may have held the mutex at the fork.
  g_client = new Client;
}

// ---- the server ---------------------------------------------------------------------------

void forkserver_serve(int sock) {
  // Python's forkserver ignores SIGINT too: Ctrl-C in a terminal must reach the program's own
  // processes, not kill the server under them.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, &old);
  unique_fd sigfd(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd) {
    std::fprintf(stderr, "mproc forkserver: signalfd: %s\n", std::strerror(errno));
    ::_exit(1);
  }
  std::map<pid_t, int> status_fds;  // live children -> write end of their status pipe
  std::vector<char> buffer(sizeof(Request) + kMaxInlineLaunch);
  char hello = kHello;
  if (::send(sock, &hello, 1, MSG_NOSIGNAL) != 1) ::_exit(0);

  for (;;) {
    pollfd p[2] = {{sock, POLLIN, 0}, {sigfd.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      ::_exit(1);
    }
    if (p[1].revents != 0) {
      signalfd_siginfo info;
      while (::read(sigfd.get(), &info, sizeof info) > 0) {
      }
      int status = 0;
      pid_t pid;
      while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        auto it = status_fds.find(pid);
        if (it == status_fds.end()) continue;
        int32_t code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        write_all(it->second, &code, sizeof code);
        ::close(it->second);
        status_fds.erase(it);
      }
    }
    if (p[0].revents == 0) continue;
    Request msg{};
    std::vector<int> fds;
    ssize_t n = recv_with_fds(sock, buffer.data(), buffer.size(), &fds);
    if (n == 0 || (n < 0 && errno != EAGAIN)) ::_exit(0);  // the parent is gone
    if (n >= static_cast<ssize_t>(sizeof msg)) std::memcpy(&msg, buffer.data(), sizeof msg);
    const size_t launch_fds = msg.inline_len == 0 ? 1 : 0;
    if (n < static_cast<ssize_t>(sizeof msg) || msg.magic != kRequestMagic ||
        static_cast<size_t>(n) != sizeof msg + msg.inline_len ||
        fds.size() != kFdFirstHandle + size_t{msg.handle_count} + launch_fds) {
      for (int fd : fds) ::close(fd);
      continue;  // a malformed request: without a status pipe there is no one to tell
    }
    pid_t pid = ::fork();
    if (pid == 0) {
      ::sigprocmask(SIG_SETMASK, &old, nullptr);
      ::signal(SIGINT, SIG_DFL);
      ::signal(SIGPIPE, SIG_DFL);
      ::close(sock);
      sigfd.reset();
      for (auto& [child_pid, fd] : status_fds) ::close(fd);
      ::close(fds[kFdStatus]);
      for (int std_fd = 0; std_fd < 3; ++std_fd) {
        ::dup2(fds[kFdStdin + std_fd], std_fd);
        ::close(fds[kFdStdin + std_fd]);
      }
      std::string packed, launch;
      if (msg.inline_len > 0) {
        launch.assign(buffer.data() + sizeof msg, msg.inline_len);
      } else {
        std::vector<int> unused;
        if (!memfd_to_bytes(fds.back(), &packed) || !unpack_launch(packed, &unused, &launch)) {
          std::fprintf(stderr, "mproc forkserver child: the launch record could not be read\n");
          ::_exit(1);
        }
        ::close(fds.back());
        fds.pop_back();
      }
      std::vector<int> handles(fds.begin() + kFdFirstHandle, fds.end());
      mproc__core_after_fork_child();
      become_child(fds[kFdReport], std::move(handles), launch.data(), launch.size(), nullptr,
                   nullptr);
    }
    int64_t reply = pid > 0 ? pid : -1;
    write_all(fds[kFdStatus], &reply, sizeof reply);
    if (pid > 0) {
      status_fds[pid] = fds[kFdStatus];
    } else {
      ::close(fds[kFdStatus]);
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      if (i != kFdStatus) ::close(fds[i]);
    }
  }
}

}  // namespace mproc_posix
