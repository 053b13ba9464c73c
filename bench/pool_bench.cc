// Pool throughput on tiny tasks (x*x on an integer) with Pool(2), the default start method; the
// pool is created once, outside the timed loop. Rows:
//   pool/map_1e6                 one iteration = map over 10^6 ints, default chunksize
//   pool/map_1e5_chunksize1      one iteration = map over 10^5 ints, one task per element
//   pool/apply_async             one iteration = one task (submitted in batches, all waited for)
//   pool/imap_1e5_c100           one iteration = imap over 10^5 ints, chunksize 100, consumed
//   pool/imap_unordered_1e5_c100 the same with imap_unordered
// Every iteration checks the sum of the squares, so a broken run cannot look fast.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "mproc/mproc.hpp"

namespace pool_bench {
long long square(long long x) { return x * x; }
}  // namespace pool_bench

namespace {

constexpr auto kSquare = mproc::fn<&pool_bench::square>;

// Sum of i*i for i < n.
long long sum_of_squares(long long n) { return (n - 1) * n * (2 * n - 1) / 6; }

void Map(benchmark::State& state, long long n, std::size_t chunksize) {
  mproc::Pool pool(2);
  const long long want = sum_of_squares(n);
  pool.map(kSquare, mproc::range(0LL, 1000LL));  // warm-up: the workers have started and run
  for (auto _ : state) {
    std::vector<long long> out = pool.map(kSquare, mproc::range(0LL, n), chunksize);
    long long sum = 0;
    for (long long v : out) sum += v;
    if (sum != want || static_cast<long long>(out.size()) != n) {
      state.SkipWithError("wrong result");
      break;
    }
  }
}

void ApplyAsync(benchmark::State& state) {
  constexpr long long kBatch = 1000;
  mproc::Pool pool(2);
  const long long want = sum_of_squares(kBatch);
  std::vector<mproc::AsyncResult<long long>> results;
  results.reserve(kBatch);
  pool.apply(kSquare, 1LL);
  // One iteration is one task: a batch of kBatch counts as kBatch iterations.
  while (state.KeepRunningBatch(kBatch)) {
    results.clear();
    for (long long i = 0; i < kBatch; ++i) results.push_back(pool.apply_async(kSquare, i));
    long long sum = 0;
    for (auto& r : results) sum += r.get();
    if (sum != want) {
      state.SkipWithError("wrong result");
      break;
    }
  }
}

void Imap(benchmark::State& state, bool ordered) {
  constexpr long long kN = 100000;
  mproc::Pool pool(2);
  const long long want = sum_of_squares(kN);
  pool.map(kSquare, mproc::range(0LL, 1000LL));
  for (auto _ : state) {
    long long sum = 0, count = 0, expect_next = 0;
    bool in_order = true;
    if (ordered) {
      for (long long v : pool.imap(kSquare, mproc::range(0LL, kN), 100)) {
        in_order = in_order && v == expect_next * expect_next;
        ++expect_next;
        sum += v;
        ++count;
      }
    } else {
      for (long long v : pool.imap_unordered(kSquare, mproc::range(0LL, kN), 100)) {
        sum += v;
        ++count;
      }
    }
    if (sum != want || count != kN || !in_order) {
      state.SkipWithError("wrong result");
      break;
    }
  }
}

BENCHMARK_CAPTURE(Map, 1e6, 1000000, 0)
    ->Name("pool/map_1e6")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Map, 1e5_chunksize1, 100000, 1)
    ->Name("pool/map_1e5_chunksize1")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(ApplyAsync)->Name("pool/apply_async")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(Imap, ordered, true)
    ->Name("pool/imap_1e5_c100")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(Imap, unordered, false)
    ->Name("pool/imap_unordered_1e5_c100")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
