// The OS floor for a Pipe round trip between two processes (rows as in bench/pipe_bench.cc).
// pipe/roundtrip_blocked: an AF_UNIX SOCK_SEQPACKET socketpair — the kind of channel an mproc Pipe
// is — with blocking read and write of one int64_t each way.
// pipe/roundtrip_busy: two atomic words in shared memory, each process spinning on the word the
// other writes: the least a round trip between two cores can cost (two cache-line transfers).
// Floor-only rows, for context: pipe/roundtrip_pipe2 (two pipe(2)s, blocking) and
// pipe/roundtrip_futex (the same two words, but each side sleeps in FUTEX_WAIT and is woken by
// FUTEX_WAKE: the least a blocked hand-off through shared memory costs).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <new>

namespace {

void finish(pid_t pid) {
  int status = 0;
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
}

void SocketRoundTrip(benchmark::State& state) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    state.SkipWithError("socketpair failed");
    return;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(sv[0]);
    int64_t v = 0;
    while (::read(sv[1], &v, sizeof v) == static_cast<ssize_t>(sizeof v) && v >= 0) {
      if (::write(sv[1], &v, sizeof v) != static_cast<ssize_t>(sizeof v)) break;
    }
    ::_exit(0);
  }
  ::close(sv[1]);
  int64_t i = 0, sum = 0;
  for (auto _ : state) {
    int64_t back = -1;
    if (::write(sv[0], &i, sizeof i) != static_cast<ssize_t>(sizeof i) ||
        ::read(sv[0], &back, sizeof back) != static_cast<ssize_t>(sizeof back) || back != i) {
      state.SkipWithError("the child did not echo");
      break;
    }
    sum += back;
    ++i;
  }
  ::close(sv[0]);  // the child reads end of file and exits
  finish(pid);
  if (sum != i * (i - 1) / 2) state.SkipWithError("wrong sum of echoed values");
}

// Each word on its own cache line, as a real ring's head and tail would be.
struct alignas(64) word {
  std::atomic<int64_t> v{-1};
};
struct shared_words {
  word ping, pong;
};

void SpinRoundTrip(benchmark::State& state) {
  void* mem = ::mmap(nullptr, sizeof(shared_words), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    state.SkipWithError("mmap failed");
    return;
  }
  auto* w = new (mem) shared_words;
  constexpr int64_t kStop = INT64_MAX;
  const pid_t pid = ::fork();
  if (pid == 0) {
    int64_t seen = -1;
    for (;;) {
      int64_t v;
      while ((v = w->ping.v.load(std::memory_order_acquire)) == seen) {
      }
      if (v == kStop) ::_exit(0);
      seen = v;
      w->pong.v.store(v, std::memory_order_release);
    }
  }
  int64_t i = 0, sum = 0;
  for (auto _ : state) {
    w->ping.v.store(i, std::memory_order_release);
    int64_t back;
    // Bounded, so a dead child cannot hang the run: ~a second of spinning at most.
    int64_t spins = 0;
    while ((back = w->pong.v.load(std::memory_order_acquire)) != i && ++spins < (int64_t{1} << 30)) {
    }
    if (back != i) {
      state.SkipWithError("the child did not answer");
      break;
    }
    sum += back;
    ++i;
  }
  w->ping.v.store(kStop, std::memory_order_release);
  finish(pid);
  ::munmap(mem, sizeof(shared_words));
  if (sum != i * (i - 1) / 2) state.SkipWithError("wrong sum of echoed values");
}

void Pipe2RoundTrip(benchmark::State& state) {
  int there[2], back_fds[2];
  if (::pipe2(there, O_CLOEXEC) != 0 || ::pipe2(back_fds, O_CLOEXEC) != 0) {
    state.SkipWithError("pipe2 failed");
    return;
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    int64_t v = 0;
    while (::read(there[0], &v, sizeof v) == static_cast<ssize_t>(sizeof v)) {
      if (::write(back_fds[1], &v, sizeof v) != static_cast<ssize_t>(sizeof v)) break;
    }
    ::_exit(0);
  }
  ::close(there[0]);
  ::close(back_fds[1]);
  int64_t i = 0, sum = 0;
  for (auto _ : state) {
    int64_t back = -1;
    if (::write(there[1], &i, sizeof i) != static_cast<ssize_t>(sizeof i) ||
        ::read(back_fds[0], &back, sizeof back) != static_cast<ssize_t>(sizeof back) || back != i) {
      state.SkipWithError("the child did not echo");
      break;
    }
    sum += back;
    ++i;
  }
  ::close(there[1]);
  ::close(back_fds[0]);
  finish(pid);
  if (sum != i * (i - 1) / 2) state.SkipWithError("wrong sum of echoed values");
}

// A 32-bit word per direction (futexes are 32-bit); the value is the round trip's sequence number.
struct alignas(64) futex_word {
  std::atomic<uint32_t> v{0};
};
struct futex_words {
  futex_word ping, pong;
};

// Sleeps until *w != seen; bounded 100 ms slices so a lost wake-up costs time, never a hang.
uint32_t sleep_until_changed(std::atomic<uint32_t>* w, uint32_t seen) {
  uint32_t v;
  while ((v = w->load(std::memory_order_acquire)) == seen) {
    timespec slice{0, 100 * 1000 * 1000};
    ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(w), FUTEX_WAIT, seen, &slice, nullptr, 0);
  }
  return v;
}

void wake(std::atomic<uint32_t>* w, uint32_t value) {
  w->store(value, std::memory_order_release);
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(w), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

void FutexRoundTrip(benchmark::State& state) {
  void* mem = ::mmap(nullptr, sizeof(futex_words), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    state.SkipWithError("mmap failed");
    return;
  }
  auto* w = new (mem) futex_words;
  constexpr uint32_t kStop = UINT32_MAX;
  const pid_t pid = ::fork();
  if (pid == 0) {
    uint32_t seen = 0;
    for (;;) {
      seen = sleep_until_changed(&w->ping.v, seen);
      if (seen == kStop) ::_exit(0);
      wake(&w->pong.v, seen);
    }
  }
  uint32_t i = 0;
  for (auto _ : state) {
    ++i;
    wake(&w->ping.v, i);
    if (sleep_until_changed(&w->pong.v, i - 1) != i) {
      state.SkipWithError("the child answered out of turn");
      break;
    }
  }
  wake(&w->ping.v, kStop);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::munmap(mem, sizeof(futex_words));
}

BENCHMARK(Pipe2RoundTrip)
    ->Name("pipe/roundtrip_pipe2")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(FutexRoundTrip)
    ->Name("pipe/roundtrip_futex")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(SocketRoundTrip)
    ->Name("pipe/roundtrip_blocked")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(SpinRoundTrip)->Name("pipe/roundtrip_busy")->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
