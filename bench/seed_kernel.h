// The seeds' compute kernel (seeds 000 and 004): the sum of i + i^2 + i^3 over a range of i, exact
// in 128 bits. Shared by bench/seed_bench.cc (mproc) and bench/limits/seed_floor.cc (raw OS calls),
// so that both time the same machine code per element. (examples/seed_compute.cc keeps its own
// few lines of it, so the example reads on its own.)
//
// N in the seed rows is the TOTAL range: serial sums i < N; the two-worker variants sum [0, N/2)
// and [N/2, N), one half each. (The seed's own program does range(10^6) twice; its example,
// examples/seed_compute.cc, keeps that meaning.)
#ifndef MPROC_BENCH_SEED_KERNEL_H
#define MPROC_BENCH_SEED_KERNEL_H

#include <benchmark/benchmark.h>

#include <cstdint>
#include <initializer_list>
#include <string>

// __extension__: the build is strict ISO C++17 with -Wpedantic, which has no 128-bit integer.
__extension__ typedef unsigned __int128 seed_u128;

// Sum over lo <= i < hi of i + i^2 + i^3; needs hi <= 2^32 (i^2 is kept in 64 bits). noinline and
// runtime bounds keep the compiler from folding the loop into a closed form, which would time
// nothing.
[[gnu::noinline]] inline seed_u128 seed_sum(std::uint64_t lo, std::uint64_t hi) {
  seed_u128 res = 0;
  for (std::uint64_t i = lo; i < hi; ++i) {
    const std::uint64_t i2 = i * i;
    res += i + i2 + static_cast<seed_u128>(i2) * i;
  }
  return res;
}

// The same sum over i < n in closed form: n(n-1)/2 + (n-1)n(2n-1)/6 + (n(n-1)/2)^2.
inline seed_u128 seed_closed_form(std::uint64_t n) {
  if (n == 0) return 0;
  const seed_u128 N = n;
  const seed_u128 s1 = N * (N - 1) / 2;
  const seed_u128 s2 = N * (N - 1) * (2 * N - 1) / 6;
  return s1 + s2 + s1 * s1;
}

inline std::string seed_to_string(seed_u128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v != 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return s;
}

struct seed_variant {
  const char* name;
  void (*fn)(benchmark::State&, std::uint64_t);
  bool fine;  // also at 2 and 5 x 10^k up to 5 x 10^5, for the break-even
};

// Registers seed/<variant>/<N> for N = 10^3 ... 10^9, the same sizes in mproc's rows and the
// floor's. Size by size, every variant in turn: a speed-up is the ratio of two rows, and rows run
// seconds apart see the same machine (the CPU's clock and the neighbours' load drift over the
// minutes a variant-by-variant order would put between them). One registration per size, so that
// the biggest can have a small fixed iteration count (a 10^9 run takes about two seconds; three
// give a mean without making the whole run long).
inline void seed_register(std::initializer_list<seed_variant> variants) {
  for (std::int64_t decade = 1000; decade <= 1000000000; decade *= 10) {
    for (std::int64_t lead : {1, 2, 5}) {
      const std::int64_t n = lead * decade;
      for (const seed_variant& v : variants) {
        if (lead != 1 && !(v.fine && decade <= 100000)) continue;
        auto* b = benchmark::RegisterBenchmark(
            (std::string("seed/") + v.name + "/" + std::to_string(n)).c_str(), v.fn,
            static_cast<std::uint64_t>(n));
        b->UseRealTime()->Unit(n >= 10000000 ? benchmark::kMillisecond : benchmark::kMicrosecond);
        if (n >= 1000000000) b->Iterations(3);
      }
    }
  }
}

#endif  // MPROC_BENCH_SEED_KERNEL_H
