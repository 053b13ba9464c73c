// The OS floor for the seed compute benchmark (bench/seed_bench.cc; N and the rows mean the same):
//   seed/serial/<N>      the kernel in this thread (the same code as mproc's row: a sanity check);
//   seed/threads2/<N>    two pthreads (std::thread), results written to memory;
//   seed/processes2/<N>  two raw fork()s per run, each writes its 16-byte result into one pipe,
//                        then waitpid: the least that "start two processes, get two results" costs;
//   seed/pool/<N>        two workers forked once, blocked in FUTEX_WAIT on a shared-memory word;
//                        a run writes the two halves' bounds there, wakes them (FUTEX_WAKE) and
//                        sleeps until both have written their results and woken it: the least a
//                        pool with sleeping workers costs per map. (Spinning workers would cost
//                        less per map but burn both CPUs while idle, which no pool does.)
#include <benchmark/benchmark.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "../seed_kernel.h"

namespace {

bool check(benchmark::State& state, seed_u128 got, std::uint64_t n) {
  if (got == seed_closed_form(n)) return true;
  state.SkipWithError(("wrong sum " + seed_to_string(got) + " for N=" + std::to_string(n)).c_str());
  return false;
}

void Serial(benchmark::State& state, std::uint64_t n) {
  for (auto _ : state) {
    if (!check(state, seed_sum(0, n), n)) break;
  }
}

void Threads2(benchmark::State& state, std::uint64_t n) {
  for (auto _ : state) {
    seed_u128 r1 = 0, r2 = 0;
    std::thread t1([&] { r1 = seed_sum(0, n / 2); });
    std::thread t2([&] { r2 = seed_sum(n / 2, n); });
    t1.join();
    t2.join();
    if (!check(state, r1 + r2, n)) break;
  }
}

bool read_all(int fd, void* buf, size_t len) {
  auto* p = static_cast<char*>(buf);
  while (len > 0) {
    const ssize_t r = ::read(fd, p, len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    len -= static_cast<size_t>(r);
  }
  return true;
}

void Processes2(benchmark::State& state, std::uint64_t n) {
  int fds[2];
  if (::pipe(fds) != 0) {
    state.SkipWithError("pipe failed");
    return;
  }
  for (auto _ : state) {
    pid_t pids[2];
    for (int k = 0; k < 2; ++k) {
      pids[k] = ::fork();
      if (pids[k] == 0) {
        const seed_u128 r = k == 0 ? seed_sum(0, n / 2) : seed_sum(n / 2, n);
        // 16 bytes < PIPE_BUF: the write is atomic, the two results cannot interleave.
        ::_exit(::write(fds[1], &r, sizeof r) == sizeof r ? 0 : 1);
      }
    }
    seed_u128 r1 = 0, r2 = 0;
    const bool ok = read_all(fds[0], &r1, sizeof r1) && read_all(fds[0], &r2, sizeof r2);
    for (pid_t pid : pids) {
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
    if (!ok) {
      state.SkipWithError("a child failed");
      break;
    }
    if (!check(state, r1 + r2, n)) break;
  }
  ::close(fds[0]);
  ::close(fds[1]);
}

// The shared page of the pre-forked pool.
struct Shared {
  std::atomic<std::uint32_t> seq;   // bumped by the parent per run (and to quit)
  std::atomic<std::uint32_t> done;  // workers finished in this run
  std::atomic<std::uint32_t> quit;
  std::uint64_t lo[2], hi[2];
  seed_u128 result[2];
};
static_assert(sizeof(std::atomic<std::uint32_t>) == 4, "futex words are 32 bits");

long futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t val, const timespec* timeout) {
  // Not FUTEX_PRIVATE: the word is shared between processes.
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op, val, timeout, nullptr, 0);
}

void pool_worker(Shared* s, int k) {
  std::uint32_t seen = 0;  // seq's value at fork: the parent may bump it before we get here
  for (;;) {
    std::uint32_t now;
    while ((now = s->seq.load(std::memory_order_acquire)) == seen) {
      futex(&s->seq, FUTEX_WAIT, seen, nullptr);
    }
    seen = now;
    if (s->quit.load(std::memory_order_acquire)) ::_exit(0);
    s->result[k] = seed_sum(s->lo[k], s->hi[k]);
    if (s->done.fetch_add(1, std::memory_order_acq_rel) + 1 == 2) {
      futex(&s->done, FUTEX_WAKE, 1, nullptr);
    }
  }
}

void PrePool(benchmark::State& state, std::uint64_t n) {
  void* mem = ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                     -1, 0);
  if (mem == MAP_FAILED) {
    state.SkipWithError("mmap failed");
    return;
  }
  auto* s = new (mem) Shared{};
  pid_t pids[2];
  for (int k = 0; k < 2; ++k) {
    pids[k] = ::fork();
    if (pids[k] == 0) pool_worker(s, k);
  }
  const timespec timeout{10, 0};  // a worker that died must not hang the run
  for (auto _ : state) {
    s->lo[0] = 0;
    s->hi[0] = s->lo[1] = n / 2;
    s->hi[1] = n;
    s->done.store(0, std::memory_order_relaxed);
    s->seq.fetch_add(1, std::memory_order_release);
    futex(&s->seq, FUTEX_WAKE, 2, nullptr);
    std::uint32_t d;
    bool ok = true;
    while ((d = s->done.load(std::memory_order_acquire)) != 2) {
      if (futex(&s->done, FUTEX_WAIT, d, &timeout) != 0 && errno == ETIMEDOUT) {
        ok = false;
        break;
      }
    }
    if (!ok) {
      state.SkipWithError("a pool worker did not answer within 10 s");
      break;
    }
    if (!check(state, s->result[0] + s->result[1], n)) break;
  }
  s->quit.store(1, std::memory_order_release);
  s->seq.fetch_add(1, std::memory_order_release);
  futex(&s->seq, FUTEX_WAKE, 2, nullptr);
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  ::munmap(mem, sizeof(Shared));
}

const bool registered = [] {
  seed_register({{"serial", Serial, true},
                 {"threads2", Threads2, false},
                 {"processes2", Processes2, true},
                 {"pool", PrePool, true}});
  return true;
}();

}  // namespace
