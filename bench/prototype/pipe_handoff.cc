// PROTOTYPE, not library code and not built by CMake: the hand-off slot proposed as the shared-
// memory fast path of mproc Pipe (issue 6, row pipe/roundtrip_busy), and what it costs.
//   g++ -O2 -std=c++17 bench/prototype/pipe_handoff.cc -o /tmp/pipe_handoff && /tmp/pipe_handoff
// prints the best batch of 100 busy round trips for the two-word floor (bench/limits/pipe_floor.cc)
// and for the hand-off, in one run (best batch, because on a loaded 2-vCPU machine a spinning pair
// is descheduled for milliseconds; the mean then measures the scheduler).
//
// Why a hand-off slot rather than a ring with a doorbell: a Pipe end's fileno must be readable
// exactly when a message waits (outside event loops and mproc_wait use it), and only the *peer*
// can make a socket readable. A ring whose messages skip the doorbell while the receiver spins
// leaves messages the fd does not show as soon as that receiver returns with one message and
// others remain (it cannot ring its own doorbell). So shared memory carries a message only to a
// receiver that is inside recv right now and has committed to take it; everything else goes
// through the socket as today, and the fd stays exact.
//
// Per direction, in a memfd created with the Pipe (passed wherever the socket goes):
//   state  NONE -> OFFERED(receiver pid)  by a receiver in recv, CAS, only when sent == consumed
//          OFFERED -> CLAIMED(sender pid) by a sender, CAS, only when sent == consumed and the
//                     message fits the slot; then payload, then FULL (release)
//          FULL -> NONE                   by the receiver once copied; OFFERED -> NONE = withdraw
//   sent / consumed  socket messages sent / received by connections that map the memfd (the
//          packet header says "counted"; an uncounted packet, from a connection opened without
//          the memfd, switches the fast path off for that direction for good).
// Order: a sender increments sent before each socket send and claims only when sent == consumed,
// so one sender's slot message never overtakes its own socket message; the receiver offers, then
// re-checks sent != consumed (Dekker, seq_cst) and withdraws to read the socket; a failed
// withdraw means a sender claimed while another's socket message was in flight: concurrent
// senders, either order is valid, take the slot. While spinning it also watches sent (a socket
// message arrived: withdraw). Spinning is bounded (tens of us, adaptive: only when recent
// messages came that fast, and only with more than one CPU), then withdraw and sleep in poll() on
// the socket as today, so EOF and peer death are seen exactly as now.
// Death: CLAIMED by a dead pid (checked after ~1 ms of CLAIMED, with sched_yield) -> NONE, the
// message was never sent; an offer or FULL slot of a dead receiver is reset / taken by the next
// receiver. A message larger than the slot, recv_bytes_into with a short buffer (-> the
// connection's held message, as documented), max size: decided after the copy, as today.
// Multiple processes/threads per end keep pipe.h's promise: one offer at a time, one claim per
// offer (CAS), send_mu/recv_mu serialise threads. poll() does not offer (a message poll saw must
// stay visible on the fd), so a `while (!poll())` loop keeps the socket path: the busy row must
// spin inside recv.
// Left to do: the backend functions and the memfd in mproc_pipe_create; ABI: a function giving the
// memfd handle and an appended mproc_connection_options field to open with it; the facade codec
// sends both handles; tests (order slot/socket, EOF after a slot message, claimer killed between
// CLAIMED and FULL via a test hook, fileno readiness never missing a message, an end passed to a
// spawned child, a C opener without the memfd interoperating); ASan/TSan runs.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <algorithm>
#include <new>
#include <string>

enum : uint64_t { NONE = 0, OFFERED = 1, CLAIMED = 2, FULL = 3 };
struct alignas(64) slot {
  std::atomic<uint64_t> state{NONE};
  uint32_t len;
  char payload[44];
};
struct alignas(64) counter { std::atomic<uint64_t> v{0}; };
struct direction { slot s; counter sent, consumed; };
struct shared { direction d[2]; };
struct alignas(64) w { std::atomic<int64_t> v{-1}; };

struct conn {
  conn(direction* i, direction* o, uint64_t p) : in(i), out(o), pid(p) {}
  direction* in;
  direction* out;
  uint64_t pid;
  std::timed_mutex send_mu, recv_mu;  // as core/pipe.cc has per connection
};

bool send_fast(conn& c, const void* data, uint32_t len) {
  std::lock_guard<std::timed_mutex> g(c.send_mu);
  direction* d = c.out;
  uint64_t st = d->s.state.load(std::memory_order_acquire);
  if ((st & 3) != OFFERED || len > sizeof d->s.payload) return false;
  if (d->sent.v.load(std::memory_order_acquire) != d->consumed.v.load(std::memory_order_acquire))
    return false;
  if (!d->s.state.compare_exchange_strong(st, (st & ~uint64_t{3}) | CLAIMED | (c.pid << 33)))
    return false;
  std::memcpy(d->s.payload, data, len);
  d->s.len = len;
  d->s.state.store((st & ~uint64_t{3}) | FULL, std::memory_order_release);
  return true;
}

uint32_t recv_fast(conn& c, void* buf) {
  std::lock_guard<std::timed_mutex> g(c.recv_mu);
  direction* d = c.in;
  if (d->sent.v.load(std::memory_order_acquire) != d->consumed.v.load(std::memory_order_acquire))
    std::abort();  // would read the socket
  uint64_t none = NONE;
  d->s.state.compare_exchange_strong(none, OFFERED | (c.pid << 2));
  if (d->sent.v.load() != d->consumed.v.load()) std::abort();  // would withdraw
  uint64_t st;
  unsigned spins = 0;
  while (((st = d->s.state.load(std::memory_order_acquire)) & 3) != FULL) {
    // A counted socket message appeared: the library would withdraw and read the socket.
    if (d->sent.v.load(std::memory_order_relaxed) != d->consumed.v.load(std::memory_order_relaxed))
      std::abort();
    __builtin_ia32_pause();
    if ((++spins & 1023) == 0) (void)std::chrono::steady_clock::now();  // deadline check
  }
  uint32_t len = d->s.len;
  std::memcpy(buf, d->s.payload, len);
  d->s.state.store(NONE, std::memory_order_release);
  return len;
}

int64_t roundtrip(conn& c, int64_t v) {
  std::string out(reinterpret_cast<const char*>(&v), sizeof v);
  while (!send_fast(c, out.data(), static_cast<uint32_t>(out.size()))) __builtin_ia32_pause();
  void* in = std::malloc(64);
  recv_fast(c, in);
  int64_t back;
  std::memcpy(&back, in, sizeof back);
  std::free(in);
  return back;
}

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 200000;
  void* mem = mmap(nullptr, sizeof(shared) + 128, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  auto* sh = new (mem) shared;
  w* ping = new (static_cast<char*>(mem) + sizeof(shared)) w;
  w* pong = new (static_cast<char*>(mem) + sizeof(shared) + 64) w;
  for (int rep = 0; rep < 3; ++rep) {
    // The two-word floor.
    pid_t pid = fork();
    if (pid == 0) { int64_t seen = -1; for (;;) { int64_t v; while ((v = ping->v.load(std::memory_order_acquire)) == seen) __builtin_ia32_pause(); if (v == INT64_MAX) _exit(0); seen = v; pong->v.store(v, std::memory_order_release); } }
    double best_floor = 1e18;
    for (int64_t b = 0; b < n / 100; ++b) {
      auto t0 = std::chrono::steady_clock::now();
      for (int64_t i = rep * n + b * 100; i < rep * n + b * 100 + 100; ++i) { ping->v.store(i, std::memory_order_release); while (pong->v.load(std::memory_order_acquire) != i) __builtin_ia32_pause(); }
      auto t1 = std::chrono::steady_clock::now();
      best_floor = std::min(best_floor, std::chrono::duration<double, std::nano>(t1 - t0).count() / 100);
    }
    ping->v.store(INT64_MAX); waitpid(pid, nullptr, 0);
    // The hand-off slot.
    pid = fork();
    if (pid == 0) {
      conn c{&sh->d[0], &sh->d[1], (uint64_t)getpid()};
      for (;;) {
        int64_t v; recv_fast(c, &v);
        if (v < 0) _exit(0);
        while (!send_fast(c, &v, sizeof v)) __builtin_ia32_pause();
      }
    }
    conn c{&sh->d[1], &sh->d[0], (uint64_t)getpid()};
    int64_t sum = 0;
    double best = 1e18;
    for (int64_t b = 0; b < n / 100; ++b) {
      auto t2 = std::chrono::steady_clock::now();
      for (int64_t i = b * 100; i < b * 100 + 100; ++i) sum += roundtrip(c, i);
      auto t3 = std::chrono::steady_clock::now();
      best = std::min(best, std::chrono::duration<double, std::nano>(t3 - t2).count() / 100);
    }
    int64_t stop = -1;
    while (!send_fast(c, &stop, sizeof stop)) __builtin_ia32_pause();
    waitpid(pid, nullptr, 0);
    std::printf("best batch of 100: floor %.1f ns  hand-off %.1f ns  (sum ok %d)\n", best_floor, best,
                sum == n * (n - 1) / 2);
  }
}
