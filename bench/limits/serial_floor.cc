// The OS floor for the serial rows (bench/serial_bench.cc): the same socat pty pair, opened with
// open + cfmakeraw, plain write() and read() with no framing, no CRC and no locks:
//   serial/framed_msgs  one write() per message of a 64-byte payload's frame size on the wire
//                       (71 bytes: 64 + CRC 4 + COBS 1 + two 0x00 delimiters), read back in bulk;
//   serial/bytes        64 KiB writes, reads of whatever arrived.
// socat's relay between the two ptys bounds both (see socat_pair.h).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "../socat_pair.h"

namespace {

int open_raw(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return -1;
  termios t;
  if (::tcgetattr(fd, &t) == 0) {
    ::cfmakeraw(&t);
    ::tcsetattr(fd, TCSANOW, &t);
  }
  return fd;
}

bool write_all(int fd, const char* p, std::size_t len) {
  while (len > 0) {
    const ssize_t r = ::write(fd, p, len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    len -= static_cast<std::size_t>(r);
  }
  return true;
}

// Reads `total` bytes; each byte must equal pattern[(offset) % pattern.size()]. 10 s per read.
bool read_checked(int fd, std::size_t total, const std::vector<char>& pattern,
                  std::vector<char>& buf) {
  std::size_t got = 0;
  while (got < total) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return false;
    const ssize_t r = ::read(fd, buf.data(), std::min(buf.size(), total - got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    for (ssize_t i = 0; i < r; ++i) {
      if (buf[static_cast<std::size_t>(i)] !=
          pattern[(got + static_cast<std::size_t>(i)) % pattern.size()]) {
        return false;
      }
    }
    got += static_cast<std::size_t>(r);
  }
  return true;
}

void Run(benchmark::State& state, std::size_t write_size, std::size_t batch_bytes, bool items) {
  SocatPair pair;
  std::string why;
  if (!pair.start(&why)) {
    state.SkipWithError(why.c_str());
    return;
  }
  const int wfd = open_raw(pair.a), rfd = open_raw(pair.b);
  if (wfd < 0 || rfd < 0) {
    state.SkipWithError("cannot open the ptys");
    if (wfd >= 0) ::close(wfd);
    if (rfd >= 0) ::close(rfd);
    return;
  }
  std::vector<char> pattern(write_size), buf(64 * 1024);
  for (std::size_t i = 0; i < write_size; ++i) pattern[i] = static_cast<char>(i * 131 + 7);
  for (auto _ : state) {
    std::thread w([&] {
      for (std::size_t sent = 0; sent < batch_bytes; sent += write_size) {
        if (!write_all(wfd, pattern.data(), write_size)) return;
      }
    });
    const bool ok = read_checked(rfd, batch_bytes, pattern, buf);
    if (!ok) pair.stop();  // the ptys hang up: a writer blocked on a full pty gets EIO
    w.join();
    if (!ok) {
      state.SkipWithError("bytes were lost, corrupt or late");
      ::close(wfd);
      return;
    }
  }
  if (items) {
    state.SetItemsProcessed(state.iterations() *
                            static_cast<std::int64_t>(batch_bytes / write_size));
  } else {
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(batch_bytes));
  }
  ::close(wfd);
  ::close(rfd);
}

void FramedMsgs(benchmark::State& state) { Run(state, 71, 71 * 1000, true); }
void RawBytes(benchmark::State& state) { Run(state, 64 * 1024, 4 * 1024 * 1024, false); }

BENCHMARK(FramedMsgs)->Name("serial/framed_msgs")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(RawBytes)->Name("serial/bytes")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
