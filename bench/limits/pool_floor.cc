// The OS floor for a process pool on tiny tasks (x*x): the least a pool of two worker processes
// can do for the same work as bench/pool_bench.cc, with OS calls only.
//
// Two workers are forked once (outside the timed loop), as a pool's are. Each has two
// single-producer single-consumer rings in one MAP_SHARED mapping: tasks (parent -> worker) and
// results (worker -> parent), each message 16 bytes (the element's index and its value). A side
// that finds nothing to do spins a little, yields a little, then sleeps on a futex after raising
// a "sleeping" flag; the other side makes the futex call only when that flag is up, so a busy
// stream costs no system call. The parent hands out chunks of `chunksize` consecutive elements
// to the two workers in turn and files every result at its index.
// There is no encoding, no per-task bookkeeping, no result object: what remains is the handoff
// through shared memory and the wake-ups, i.e. the cost of moving the work to another process.
//
// Rows (the same names as pool_bench.cc):
//   pool/map_1e6                 10^6 elements, chunks of Python's default size (125000)
//   pool/map_1e5_chunksize1      10^5 elements, chunks of 1
//   pool/apply_async             per task: batches of 1000 one-element tasks, each published on
//                                its own, all waited for
//   pool/imap_1e5_c100           10^5 elements, chunks of 100 (results land in order by index,
//   pool/imap_unordered_1e5_c100  so ordered and unordered consumption cost the same here)
#include <benchmark/benchmark.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <vector>

namespace {

constexpr uint32_t kSlots = 1u << 15;  // messages per ring (512 KiB)
constexpr uint64_t kQuit = ~uint64_t{0};

struct Msg {
  uint64_t index, value;
};

struct alignas(64) Word {
  std::atomic<uint32_t> v{0};
  std::atomic<uint32_t> sleeping{0};
};

struct Ring {
  Word head;  // consumed (consumer writes)
  Word tail;  // published (producer writes)
  Msg slot[kSlots];
};

struct Shared {
  Word bell;  // workers ring it when they consumed tasks or published results
  Ring tasks[2], results[2];
};

void futex_wait(std::atomic<uint32_t>* w, uint32_t seen, long ns) {
  timespec ts{0, ns};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(w), FUTEX_WAIT, seen, &ts, nullptr, 0);
}

void futex_wake(std::atomic<uint32_t>* w) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(w), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

// After changing w.v: wake its sleeper, if any (one load when there is none).
void wake(Word& w) {
  if (w.sleeping.load() != 0 && w.sleeping.exchange(0) != 0) futex_wake(&w.v);
}

// Waits until ready() holds: spin, yield, then sleep on w.v (which the other side changes
// before it looks at w.sleeping). false when alive() says the peer is gone.
template <class Ready, class Alive>
bool wait_on(Word& w, Ready ready, Alive alive) {
  for (int i = 0; i < 200; ++i) {
    if (ready()) return true;
    __builtin_ia32_pause();
  }
  for (int i = 0; i < 20; ++i) {
    if (ready()) return true;
    sched_yield();
  }
  for (;;) {
    const uint32_t seen = w.v.load();
    w.sleeping.store(1);
    if (ready()) {
      w.sleeping.store(0);
      return true;
    }
    futex_wait(&w.v, seen, 50 * 1000 * 1000);
    w.sleeping.store(0);
    if (ready()) return true;
    if (!alive()) return false;
  }
}

// A worker: takes every task it can, writes x*x for each, rings the parent's bell.
[[noreturn]] void worker(Shared* s, int id) {
  Ring& in = s->tasks[id];
  Ring& out = s->results[id];
  const auto parent_alive = [] { return getppid() != 1; };
  for (;;) {
    const uint32_t head = in.head.v.load(std::memory_order_relaxed);
    if (!wait_on(in.tail, [&] { return in.tail.v.load(std::memory_order_acquire) != head; },
                 parent_alive)) {
      _exit(1);
    }
    const uint32_t avail = in.tail.v.load(std::memory_order_acquire) - head;
    const uint32_t rtail = out.tail.v.load(std::memory_order_relaxed);
    if (!wait_on(out.head, [&] { return rtail - out.head.v.load(std::memory_order_acquire) < kSlots; },
                 parent_alive)) {
      _exit(1);
    }
    const uint32_t room = kSlots - (rtail - out.head.v.load(std::memory_order_acquire));
    const uint32_t n = avail < room ? avail : room;
    for (uint32_t i = 0; i < n; ++i) {
      const Msg m = in.slot[(head + i) & (kSlots - 1)];
      if (m.index == kQuit) _exit(0);
      out.slot[(rtail + i) & (kSlots - 1)] = Msg{m.index, m.value * m.value};
    }
    in.head.v.store(head + n);
    out.tail.v.store(rtail + n);
    s->bell.v.fetch_add(1);
    wake(s->bell);
  }
}

class Floor {
 public:
  Floor() {
    void* p = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED) return;
    s_ = new (p) Shared;
    for (int i = 0; i < 2; ++i) {
      pid_[i] = fork();
      if (pid_[i] == 0) worker(s_, i);
    }
  }
  ~Floor() {
    if (s_ == nullptr) return;
    for (int i = 0; i < 2; ++i) {
      if (pid_[i] <= 0) continue;
      Ring& r = s_->tasks[i];
      const uint32_t t = r.tail.v.load();
      if (t - r.head.v.load() < kSlots) {
        r.slot[t & (kSlots - 1)] = Msg{kQuit, 0};
        r.tail.v.store(t + 1);
        wake(r.tail);
      } else {
        kill(pid_[i], SIGKILL);
      }
      waitpid(pid_[i], nullptr, 0);
    }
    munmap(s_, sizeof(Shared));
  }
  bool ok() const { return s_ != nullptr && pid_[0] > 0 && pid_[1] > 0; }

  bool alive() {
    for (pid_t p : pid_) {
      if (waitpid(p, nullptr, WNOHANG) != 0) return false;
    }
    return true;
  }

  // x*x for every x < n into out[x], handed out in chunks; false when a worker died. With
  // one_by_one, every task is published (and its worker woken if asleep) on its own, as separate
  // apply_async calls are.
  bool run(uint64_t n, uint64_t chunksize, std::vector<uint64_t>& out, bool one_by_one = false) {
    // Chunk k goes to worker k % 2: the work is uniform, so this is the balanced split a
    // scheduler would reach, without its bookkeeping.
    const uint64_t chunks = (n + chunksize - 1) / chunksize;
    uint64_t next_chunk[2] = {0, 1}, received = 0;
    uint64_t cur[2] = {0, 0}, end[2] = {0, 0};  // each worker's chunk being sent
    while (received < n) {
      const uint32_t bell = s_->bell.v.load();
      bool progress = false;
      for (int w = 0; w < 2; ++w) {
        Ring& r = s_->tasks[w];
        uint32_t tail = r.tail.v.load(std::memory_order_relaxed);
        const uint32_t start = tail;
        for (;;) {
          if (cur[w] == end[w]) {
            if (next_chunk[w] >= chunks) break;
            cur[w] = next_chunk[w] * chunksize;
            end[w] = cur[w] + chunksize < n ? cur[w] + chunksize : n;
            next_chunk[w] += 2;
          }
          uint32_t room = kSlots - (tail - r.head.v.load(std::memory_order_acquire));
          if (room == 0) break;
          while (room > 0 && cur[w] < end[w]) {
            r.slot[tail & (kSlots - 1)] = Msg{cur[w], cur[w]};
            ++tail;
            ++cur[w];
            --room;
            if (one_by_one) {
              r.tail.v.store(tail);
              wake(r.tail);
            }
          }
        }
        if (tail != start) {
          r.tail.v.store(tail);
          wake(r.tail);
          progress = true;
        }
        Ring& res = s_->results[w];
        const uint32_t head = res.head.v.load(std::memory_order_relaxed);
        const uint32_t avail = res.tail.v.load(std::memory_order_acquire) - head;
        for (uint32_t i = 0; i < avail; ++i) {
          const Msg& m = res.slot[(head + i) & (kSlots - 1)];
          out[m.index] = m.value;
        }
        if (avail > 0) {
          res.head.v.store(head + avail);
          wake(res.head);
          received += avail;
          progress = true;
        }
      }
      if (!progress && !wait_on(s_->bell, [&] { return s_->bell.v.load() != bell; },
                                [&] { return alive(); })) {
        return false;
      }
    }
    return true;
  }

 private:
  Shared* s_ = nullptr;
  pid_t pid_[2] = {-1, -1};
};

uint64_t sum_of_squares(uint64_t n) { return (n - 1) * n * (2 * n - 1) / 6; }

void Map(benchmark::State& state, uint64_t n, uint64_t chunksize) {
  Floor f;
  if (!f.ok()) {
    state.SkipWithError("mmap or fork failed");
    return;
  }
  std::vector<uint64_t> out(n);
  for (auto _ : state) {
    if (!f.run(n, chunksize, out)) {
      state.SkipWithError("a worker died");
      break;
    }
    uint64_t sum = 0;
    for (uint64_t v : out) sum += v;
    if (sum != sum_of_squares(n)) {
      state.SkipWithError("wrong result");
      break;
    }
  }
}

void ApplyBatch(benchmark::State& state) {
  constexpr uint64_t kBatch = 1000;
  Floor f;
  if (!f.ok()) {
    state.SkipWithError("mmap or fork failed");
    return;
  }
  std::vector<uint64_t> out(kBatch);
  while (state.KeepRunningBatch(kBatch)) {
    if (!f.run(kBatch, 1, out, true)) {
      state.SkipWithError("a worker died");
      break;
    }
    uint64_t sum = 0;
    for (uint64_t v : out) sum += v;
    if (sum != sum_of_squares(kBatch)) {
      state.SkipWithError("wrong result");
      break;
    }
  }
}

// Python's default chunk size for 10^6 elements and 2 workers: ceil(10^6 / (4 * 2)).
BENCHMARK_CAPTURE(Map, 1e6, 1000000, 125000)
    ->Name("pool/map_1e6")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Map, 1e5_chunksize1, 100000, 1)
    ->Name("pool/map_1e5_chunksize1")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(ApplyBatch)->Name("pool/apply_async")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(Map, imap, 100000, 100)
    ->Name("pool/imap_1e5_c100")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Map, imap_unordered, 100000, 100)
    ->Name("pool/imap_unordered_1e5_c100")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
