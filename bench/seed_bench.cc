// The seeds' compute benchmark (seeds 000 and 004: job() sums i + i^2 + i^3; normal() runs it
// serially, multithread() in two threads, multicore() in two processes with the results through
// a Queue), for N = 10^3 ... 10^9, plus a pre-created Pool(cpu_count) mapping over chunks.
//
// N is the TOTAL range (see seed_kernel.h): seed/serial/<N> sums i < N in this thread; the others
// split it into halves [0, N/2) and [N/2, N) (the pool into cpu_count() chunks). One iteration is
// the whole computation, including starting and joining the threads or processes (as the seed
// times them); the queue and the pool are made once, outside the timing. Every result is checked
// against the closed form, exact in 128 bits.
//
// Rows: seed/{serial,threads2,processes2,pool}/<N> for N = 10^3 ... 10^9, and serial, processes2
// and pool also at 2 and 5 x 10^k (k = 3..5), so that bench/run.py can find the break-even N
// (the smallest at which two workers beat serial) finely.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

#include "mproc/mproc.hpp"
#include "seed_kernel.h"

namespace seed_bench {

// The seed's job(q): one half of the range, the result put on the queue.
void job(std::uint64_t lo, std::uint64_t hi, mproc::Queue<seed_u128> q) {
  q.put(seed_sum(lo, hi));
}

struct Chunk {
  std::uint64_t lo, hi;
};

// The pool's task: one chunk.
seed_u128 chunk_sum(Chunk c) { return seed_sum(c.lo, c.hi); }

}  // namespace seed_bench

namespace {

using namespace seed_bench;
constexpr auto kTimeout = std::chrono::seconds(120);

bool check(benchmark::State& state, seed_u128 got, std::uint64_t n) {
  if (got == seed_closed_form(n)) return true;
  state.SkipWithError(("wrong sum " + seed_to_string(got) + " for N=" + std::to_string(n)).c_str());
  return false;
}

void Serial(benchmark::State& state, std::uint64_t n) {
  for (auto _ : state) {
    const seed_u128 r = seed_sum(0, n);
    if (!check(state, r, n)) break;
  }
}

void Threads2(benchmark::State& state, std::uint64_t n) {
  mproc::Queue<seed_u128> q;  // the seed's multithread() passes results through mp.Queue too
  for (auto _ : state) {
    std::thread t1(job, std::uint64_t{0}, n / 2, q);
    std::thread t2(job, n / 2, n, q);
    t1.join();
    t2.join();
    seed_u128 r = q.get(kTimeout);
    r += q.get(kTimeout);
    if (!check(state, r, n)) break;
  }
}

void Processes2(benchmark::State& state, std::uint64_t n) {
  mproc::Queue<seed_u128> q;
  {
    // Warm-up: the default start method, forkserver, starts its server on first use; that one-off
    // cost is not part of a run.
    mproc::Process p(mproc::fn<&job>, std::uint64_t{0}, std::uint64_t{0}, q);
    p.start();
    p.join();
    q.get(kTimeout);
  }
  for (auto _ : state) {
    mproc::Process p1(mproc::fn<&job>, std::uint64_t{0}, n / 2, q);
    mproc::Process p2(mproc::fn<&job>, n / 2, n, q);
    p1.start();
    p2.start();
    if (!p1.join(kTimeout) || !p2.join(kTimeout) || p1.exitcode() != 0 || p2.exitcode() != 0) {
      state.SkipWithError("a job process failed or hung");
      break;
    }
    seed_u128 r = 0;
    try {
      r = q.get(kTimeout);
      r += q.get(kTimeout);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      break;
    }
    if (!check(state, r, n)) break;
  }
}

void PoolMap(benchmark::State& state, std::uint64_t n) {
  const int workers = mproc::cpu_count();
  mproc::Pool pool(workers);
  std::vector<Chunk> chunks;
  for (int k = 0; k < workers; ++k) {
    chunks.push_back({n * static_cast<std::uint64_t>(k) / static_cast<std::uint64_t>(workers),
                      n * static_cast<std::uint64_t>(k + 1) / static_cast<std::uint64_t>(workers)});
  }
  pool.map(mproc::fn<&chunk_sum>, chunks, 1);  // warm-up: the workers are up and have run once
  for (auto _ : state) {
    seed_u128 r = 0;
    try {
      for (seed_u128 part : pool.map(mproc::fn<&chunk_sum>, chunks, 1)) r += part;
    } catch (const std::exception& e) {  // a worker died: the row fails, the run goes on
      state.SkipWithError(e.what());
      break;
    }
    if (!check(state, r, n)) break;
  }
  state.counters["workers"] = workers;
}

const bool registered = [] {
  seed_register({{"serial", Serial, true},
                 {"threads2", Threads2, false},
                 {"processes2", Processes2, true},
                 {"pool", PoolMap, true}});
  return true;
}();

}  // namespace
