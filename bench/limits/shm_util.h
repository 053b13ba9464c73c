// Helpers for the floor benchmarks that run two processes over shared memory: an anonymous
// shared mapping that survives fork, and a futex wait/wake on a 32-bit word in it. OS calls only.
#ifndef MPROC_BENCH_LIMITS_SHM_UTIL_H
#define MPROC_BENCH_LIMITS_SHM_UTIL_H

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>

namespace floor_util {

// Zeroed memory shared with the children forked after it.
inline void* shared_alloc(size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

inline void futex_wait(std::atomic<uint32_t>* word, uint32_t expected, long timeout_ns) {
  timespec ts{0, timeout_ns};
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, expected, &ts, nullptr, 0);
}

inline void futex_wake(std::atomic<uint32_t>* word) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, INT32_MAX, nullptr, nullptr,
            0);
}

// Waits until *word != seen: a short spin (the other side is usually running), then futex
// sleeps in 100 ms slices (bounded, so a lost wake-up costs time, never a hang).
inline uint32_t wait_change(std::atomic<uint32_t>* word, uint32_t seen) {
  for (int i = 0; i < 200; ++i) {
    uint32_t v = word->load(std::memory_order_acquire);
    if (v != seen) return v;
    __builtin_ia32_pause();
  }
  for (;;) {
    uint32_t v = word->load(std::memory_order_acquire);
    if (v != seen) return v;
    futex_wait(word, seen, 100000000L);
  }
}

// Batch hand-off between the parent (the benchmark loop) and one forked child: the parent posts
// a batch size, the child does its part and bumps `done`.
struct Control {
  alignas(64) std::atomic<uint32_t> go;
  std::atomic<int64_t> batch;  // 0: exit
  alignas(64) std::atomic<uint32_t> done;
};

inline void post(Control* c, int64_t batch) {
  c->batch.store(batch, std::memory_order_relaxed);
  c->go.fetch_add(1, std::memory_order_release);
  futex_wake(&c->go);
}

// In the parent: waits for the child's part of batch number `n` (1-based); false if it died.
inline bool await_done(Control* c, uint32_t n, pid_t child) {
  for (;;) {
    uint32_t d = c->done.load(std::memory_order_acquire);
    if (d == n) return true;
    futex_wait(&c->done, d, 100000000L);
    int status;
    if (c->done.load(std::memory_order_acquire) != n && ::waitpid(child, &status, WNOHANG) != 0)
      return false;
  }
}

// The child's loop: runs work(batch) for every posted batch until batch 0.
template <class F>
[[noreturn]] void serve(Control* c, F work) {
  uint32_t seen = 0;
  for (;;) {
    seen = wait_change(&c->go, seen);
    int64_t batch = c->batch.load(std::memory_order_relaxed);
    if (batch <= 0) ::_exit(0);
    work(batch);
    c->done.fetch_add(1, std::memory_order_release);
    futex_wake(&c->done);
  }
}

inline void finish(Control* c, pid_t child) {
  post(c, 0);
  int status;
  ::waitpid(child, &status, 0);
}

}  // namespace floor_util

#endif  // MPROC_BENCH_LIMITS_SHM_UTIL_H
