// Seed 003 (multiprocessing notes), "processing the files of a directory with several processes":
// walk a directory tree, give the files to a pool, show a progress bar while they are processed,
// then print what came back. The seed splits the list into one slice per process itself and runs
// tqdm inside each worker; here the pool streams the files (imap_unordered, a few per task) and the
// parent draws one bar for all of them.
//
//   ./mproc_example_pool_directory_progress [DIR] [--files N] [--processes N]
//                                           [--start-method fork|spawn|forkserver]
//
// Without DIR a tree of N generated files (default 300) in nested directories is made in a
// temporary directory and removed afterwards. Each file's size, line count and checksum (FNV-1a)
// are computed by a worker; the totals are checked against a pass in this process.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "example_args.hpp"
#include "mproc/mproc.hpp"

namespace fs = std::filesystem;

struct FileInfo {
  std::string path;
  std::uint64_t bytes = 0;
  std::uint64_t lines = 0;
  std::uint64_t checksum = 0;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(path, bytes, lines, checksum);
  }
};

// What a worker does with one file (the seed's process_file).
FileInfo process_file(std::string path) {
  FileInfo info;
  info.path = path;
  info.checksum = 1469598103934665603ull;  // FNV-1a
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    const auto n = static_cast<std::size_t>(in.gcount());
    for (std::size_t i = 0; i < n; ++i) {
      info.checksum = (info.checksum ^ static_cast<unsigned char>(buf[i])) * 1099511628211ull;
      if (buf[i] == '\n') ++info.lines;
    }
    info.bytes += n;
  }
  return info;
}

namespace {

// A tree of `count` files, 1 to ~8 KiB of text each, in directories up to three levels deep.
void generate_tree(const fs::path& root, int count) {
  std::uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  for (int i = 0; i < count; ++i) {
    fs::path dir = root / ("d" + std::to_string(i % 7));
    if (i % 3 == 0) dir /= "sub" + std::to_string(i % 5);
    if (i % 11 == 0) dir /= "deeper";
    fs::create_directories(dir);
    std::ofstream out(dir / ("file" + std::to_string(i) + ".txt"), std::ios::binary);
    const std::uint32_t lines = 1 + next() % 100;
    for (std::uint32_t l = 0; l < lines; ++l) {
      out << "file " << i << " line " << l << " value " << next() << '\n';
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  mproc::init(argc, argv);

  std::string dir;
  int files = 300;
  int processes = 2;  // the seed's num_processes
  example::Args args(argc, argv);
  args.positional("DIR", &dir);
  args.option("--files", &files);
  args.option("--processes", &processes);
  if (!args.parse()) return 2;

  fs::path generated;
  if (dir.empty()) {
    generated = fs::temp_directory_path() /
                ("mproc-tree-" + std::to_string(mproc::current_pid()));
    generate_tree(generated, files);
    dir = generated.string();
    std::printf("generated %d files under %s\n", files, dir.c_str());
  }

  int status = 0;
  try {
    // The seed's os.walk.
    std::vector<std::string> file_list;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (entry.is_regular_file()) file_list.push_back(entry.path().string());
    }
    std::printf("%zu files to process with %d processes\n", file_list.size(), processes);
    std::fflush(stdout);

    mproc::Pool pool(processes);
    std::vector<FileInfo> infos;
    infos.reserve(file_list.size());
    {
      mproc::ProgressBar bar(file_list.size(), "files");
      for (FileInfo& info : pool.imap_unordered(mproc::fn<&process_file>, file_list, 4)) {
        infos.push_back(std::move(info));
        bar.update();
      }
    }
    pool.close();
    pool.join();

    std::uint64_t bytes = 0, lines = 0, checksum = 0;
    for (const auto& info : infos) {
      bytes += info.bytes;
      lines += info.lines;
      checksum ^= info.checksum;  // order-independent, as imap_unordered's order varies
    }
    std::printf("processed %zu files: %llu bytes, %llu lines, checksum %016llx\n", infos.size(),
                static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(lines),
                static_cast<unsigned long long>(checksum));
    if (!infos.empty()) std::printf("first result: %s\n", infos.front().path.c_str());

    // The same totals from a pass in this process.
    std::uint64_t serial_bytes = 0, serial_lines = 0, serial_checksum = 0;
    for (const auto& path : file_list) {
      FileInfo info = process_file(path);
      serial_bytes += info.bytes;
      serial_lines += info.lines;
      serial_checksum ^= info.checksum;
    }
    const bool same = infos.size() == file_list.size() && bytes == serial_bytes &&
                      lines == serial_lines && checksum == serial_checksum;
    std::printf("serial pass agrees: %s\n", same ? "yes" : "NO");
    status = same ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pool_directory_progress: %s\n", e.what());
    status = 1;
  }
  if (!generated.empty()) {
    std::error_code ec;
    fs::remove_all(generated, ec);
  }
  return status;
}
