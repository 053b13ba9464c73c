// Seed 002 (multiprocessing notes), "map I/O test": one text file read N times, one read after
// another and then by a pool of processes, for growing N. The seed reads a 40 MB file of 20000
// lines up to 160 times; by default this reads a 4 MB file up to 40 times (--mb and --max-reads
// change that). Every read's bytes are checked: a pool read gives exactly what a serial read gives.
//
//   ./mproc_example_pool_file_read [--mb N] [--max-reads N] [--processes N]
//                                  [--start-method fork|spawn|forkserver]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "example_args.hpp"
#include "mproc/mproc.hpp"

namespace fs = std::filesystem;

// A worker's read: the whole file, returned as its length and checksum (FNV-1a), so that what
// travels back is small and what is measured is the reading.
std::pair<std::uint64_t, std::uint64_t> read_file(std::string path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::uint64_t hash = 1469598103934665603ull, bytes = 0;
  std::vector<char> buf(1 << 20);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    const auto n = static_cast<std::size_t>(in.gcount());
    for (std::size_t i = 0; i < n; ++i) {
      hash = (hash ^ static_cast<unsigned char>(buf[i])) * 1099511628211ull;
    }
    bytes += n;
  }
  return {bytes, hash};
}

int main(int argc, char** argv) {
  mproc::init(argc, argv);

  int mb = 4, max_reads = 40, processes = 4;
  example::Args args(argc, argv);
  args.option("--mb", &mb, 1);
  args.option("--max-reads", &max_reads, 1);
  args.option("--processes", &processes);
  if (!args.parse()) return 2;

  const fs::path path =
      fs::temp_directory_path() / ("mproc-read-" + std::to_string(mproc::current_pid()) + ".txt");
  {
    // Lines of ~2 KiB, as the seed's 40 MB in 20000 lines.
    std::ofstream out(path, std::ios::binary);
    const std::string filler(2000, 'x');
    const long lines = static_cast<long>(mb) * 1024 * 1024 / 2048;
    for (long l = 0; l < lines; ++l) out << l << ' ' << filler.substr(0, 2040) << '\n';
  }
  int status = 0;
  try {
    const auto expected = read_file(path.string());
    std::printf("file: %llu bytes; pool of %d processes\n",
                static_cast<unsigned long long>(expected.first), processes);
    std::printf("%8s %12s %12s %14s %8s\n", "reads", "serial (s)", "pool (s)", "per read (s)",
                "speedup");
    mproc::Pool pool(processes);
    for (int reads = 1; reads <= max_reads; reads = reads < 5 ? 5 : reads * 2) {
      const std::vector<std::string> paths(static_cast<std::size_t>(reads), path.string());
      auto start = std::chrono::steady_clock::now();
      std::vector<std::pair<std::uint64_t, std::uint64_t>> serial;
      for (const auto& p : paths) serial.push_back(read_file(p));
      const double serial_s = example::seconds_since(start);
      start = std::chrono::steady_clock::now();
      auto pooled = pool.map(mproc::fn<&read_file>, paths, 1);
      const double pool_s = example::seconds_since(start);
      for (std::size_t i = 0; i < paths.size(); ++i) {
        if (pooled[i] != expected || serial[i] != expected) status = 1;
      }
      std::printf("%8d %12.3f %12.3f %14.4f %8.2f\n", reads, serial_s, pool_s, pool_s / reads,
                  pool_s > 0 ? serial_s / pool_s : 0.0);
    }
    std::printf("every read gave the same bytes: %s\n", status == 0 ? "yes" : "NO");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pool_file_read: %s\n", e.what());
    status = 1;
  }
  std::error_code ec;
  fs::remove(path, ec);
  return status;
}
