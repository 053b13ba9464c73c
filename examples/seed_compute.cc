// Seeds 000 and 004 (morvan tutorial), "multiprocessing vs threading efficiency": job() sums
// i + i^2 + i^3 for i < 10^6; normal() does it twice in a row, multithread() once in each of two
// threads, multicore() once in each of two processes, the last two putting their results on a
// Queue. Each prints its sum and its time, as the seed does:
//
//   normal: 499999666667166666000000
//   normal time: 0.001958
//   multithread: 499999666667166666000000
//   multithread time: 0.001062
//   multicore: 499999666667166666000000
//   multicore time: 0.002240
//
// (Times in seconds; they vary.) The sums are exact: they need more than 64 bits (i^3 alone
// passes 2^64 at i = 2.6 million), so the job adds in unsigned __int128, where Python has big
// integers. In CPython, threads are slower than normal (the GIL lets one thread compute at a time)
// and two processes win once the work outweighs starting them. In C++ both threads and processes
// run in parallel; processes still pay their start and join, so with a small n multicore loses to
// normal, which is what the seeds observe too ("calling processes costs time"). Try --n 100000000.
//
//   ./mproc_example_seed_compute [--n N] [--start-method fork|spawn|forkserver]
//     --n N  the range of each job (default 1000000, as in the seed); at most 2^32
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "example_args.hpp"
#include "mproc/mproc.hpp"

// -Wpedantic: 128-bit integers are a GCC/Clang extension.
__extension__ typedef unsigned __int128 u128;

u128 sum_range(std::uint64_t n) {
  u128 res = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t i2 = i * i;  // fits in 64 bits for i < 2^32
    res += i + i2 + static_cast<u128>(i2) * i;
  }
  return res;
}

// The seed's job(q): one sum, put on the queue. Threads call it directly, processes through
// mproc::fn<&job>.
void job(std::uint64_t n, mproc::Queue<u128> q) { q.put(sum_range(n)); }

std::string to_string(u128 v) {
  std::string s;
  do {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  } while (v != 0);
  return s;
}

u128 normal(std::uint64_t n) {
  u128 res = 0;
  for (int k = 0; k < 2; ++k) res += sum_range(n);
  return res;
}

u128 multithread(std::uint64_t n) {
  mproc::Queue<u128> q;
  std::thread t1(job, n, q);
  std::thread t2(job, n, q);
  t1.join();
  t2.join();
  const u128 res1 = q.get();
  const u128 res2 = q.get();
  return res1 + res2;
}

u128 multicore(std::uint64_t n) {
  mproc::Queue<u128> q;
  mproc::Process p1(mproc::fn<&job>, n, q);
  mproc::Process p2(mproc::fn<&job>, n, q);
  p1.start();
  p2.start();
  p1.join();
  p2.join();
  if (p1.exitcode() != 0 || p2.exitcode() != 0) {
    std::fprintf(stderr, "a job process failed\n");
    std::exit(1);
  }
  const u128 res1 = q.get();
  const u128 res2 = q.get();
  return res1 + res2;
}

// Runs f(n), prints "<name>: <sum>" and "<name> time: <seconds>" as the seed does.
template <class F>
void timed(const char* name, F f, std::uint64_t n) {
  const auto start = std::chrono::steady_clock::now();
  const u128 res = f(n);
  const double elapsed = example::seconds_since(start);
  std::printf("%s: %s\n", name, to_string(res).c_str());
  std::printf("%s time: %.6f\n", name, elapsed);
  std::fflush(stdout);
}

int main(int argc, char** argv) {
  mproc::init(argc, argv);

  long long n = 1000000;
  example::Args args(argc, argv);
  args.option("--n", &n, 0, 1LL << 32);  // i^2 must fit in 64 bits
  if (!args.parse()) return 2;

  timed("normal", normal, static_cast<std::uint64_t>(n));
  timed("multithread", multithread, static_cast<std::uint64_t>(n));
  timed("multicore", multicore, static_cast<std::uint64_t>(n));
  return 0;
}
