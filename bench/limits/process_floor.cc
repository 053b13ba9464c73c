// The OS floor for starting and joining a process, per start method:
// - start_join/fork: fork + waitpid.
// - start_join/forkserver: a server process started beforehand forks on request and relays what
//   mproc's (and Python's) forkserver must relay: a one-byte request over a unix socket, the pid
//   reply, then the exit status once it has reaped the child. Four process wake-ups, as in mproc.
// - start_join/spawn: posix_spawn of this very program, which exits as soon as main starts
//   (limits/main.cc): exec, dynamic loading and static initialisers of a C++ benchmark program.
// - start_join/spawn_true: posix_spawn of /bin/true, the smallest program at hand (no C++ runtime).
// The *_1GiB rows do the same from a parent holding a touched 1 GiB heap.
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include "bench/limits/process_floor.h"

extern char** environ;

namespace {

std::unique_ptr<char[]> touched_heap(size_t bytes) {
  std::unique_ptr<char[]> heap;
  if (bytes > 0) {
    heap.reset(new char[bytes]);
    std::memset(heap.get(), 1, bytes);  // touched, so the pages really exist
  }
  return heap;
}

void ForkWait(benchmark::State& state, size_t heap_bytes) {
  std::unique_ptr<char[]> heap = touched_heap(heap_bytes);
  for (auto _ : state) {
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    int status = -1;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid || status != 0) {
      state.SkipWithError("fork or waitpid failed");
      break;
    }
  }
  benchmark::DoNotOptimize(heap.get());
}

// The server's loop: one request at a time (the client waits for each child's end before the
// next request, as start + join does).
[[noreturn]] void serve(int sock) {
  for (;;) {
    char request;
    if (::recv(sock, &request, 1, 0) != 1) ::_exit(0);  // the client is gone
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    int64_t reply = pid;
    if (::send(sock, &reply, sizeof reply, MSG_NOSIGNAL) != sizeof reply) ::_exit(1);
    int status = -1;
    if (pid > 0) ::waitpid(pid, &status, 0);
    int32_t code = pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (::send(sock, &code, sizeof code, MSG_NOSIGNAL) != sizeof code) ::_exit(1);
  }
}

void ForkserverWait(benchmark::State& state, size_t heap_bytes) {
  // The server starts before the parent's heap grows, as mproc's (a fresh run of the program)
  // does not inherit the parent's heap.
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    state.SkipWithError("socketpair failed");
    return;
  }
  pid_t server = ::fork();
  if (server == 0) {
    ::close(sv[0]);
    serve(sv[1]);
  }
  ::close(sv[1]);
  std::unique_ptr<char[]> heap = touched_heap(heap_bytes);
  for (auto _ : state) {
    char request = 'F';
    int64_t pid = -1;
    int32_t code = -1;
    if (::send(sv[0], &request, 1, MSG_NOSIGNAL) != 1 ||
        ::recv(sv[0], &pid, sizeof pid, 0) != sizeof pid || pid <= 0 ||
        ::recv(sv[0], &code, sizeof code, 0) != sizeof code || code != 0) {
      state.SkipWithError("the floor's forkserver failed");
      break;
    }
  }
  ::close(sv[0]);
  int status = 0;
  if (server > 0) ::waitpid(server, &status, 0);
  benchmark::DoNotOptimize(heap.get());
}

void SpawnWait(benchmark::State& state, const char* path, char* const* argv) {
  for (auto _ : state) {
    pid_t pid = -1;
    if (::posix_spawn(&pid, path, nullptr, nullptr, argv, environ) != 0) {
      state.SkipWithError("posix_spawn failed");
      break;
    }
    int status = -1;
    if (::waitpid(pid, &status, 0) != pid || status != 0) {
      state.SkipWithError("the spawned program failed");
      break;
    }
  }
}

char g_self_name[] = "mproc_bench_limits";
char g_true_name[] = "true";
char* g_self_argv[] = {g_self_name, const_cast<char*>(process_floor::kExitAtOnceFlag), nullptr};
char* g_true_argv[] = {g_true_name, nullptr};

void SpawnSelf(benchmark::State& state) { SpawnWait(state, "/proc/self/exe", g_self_argv); }
void SpawnTrue(benchmark::State& state) { SpawnWait(state, "/bin/true", g_true_argv); }

constexpr size_t kGiB = size_t{1} << 30;

BENCHMARK_CAPTURE(ForkWait, plain, 0)->Name("start_join/fork")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(ForkserverWait, plain, 0)
    ->Name("start_join/forkserver")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(SpawnSelf)->Name("start_join/spawn")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(SpawnTrue)->Name("start_join/spawn_true")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(ForkWait, heap, kGiB)
    ->Name("start_join_1GiB/fork")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(ForkserverWait, heap, kGiB)
    ->Name("start_join_1GiB/forkserver")->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
