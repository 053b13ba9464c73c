// Seed 000, "write serial-port communication code with multiprocessing": a serial port served by
// its own process. A reader process owns port A: it receives framed messages and forwards each one
// into a queue. A writer process sends sensor readings into port B, the other end of the line. The
// parent only talks to the queue, and prints what arrives.
//
//   ./mproc_example_serial_forwarding [--count N] [--port A --peer B] [--start-method M]
//
// Without --port/--peer it starts `socat pty,raw,echo=0,link=<tmp>/a pty,raw,echo=0,link=<tmp>/b`,
// a virtual null-modem cable, so it runs on a machine without serial hardware. With two real
// ports joined by a null-modem cable, pass --port and --peer (and the line runs at 115200 8N1).

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "example_args.hpp"
#include "mproc/mproc.hpp"

extern char** environ;

// What the writer sends: trivially copyable, so it goes over the line as its bytes.
struct reading {
  int seq;
  double celsius;
};

using FrameQueue = mproc::Queue<std::string>;

// The process that serves the port: every message that arrives whole goes into the queue, as the
// frame's bytes (the parent decodes them). A "ready" item says the port is open.
void serve_port(std::string port, FrameQueue frames, int count) {
  mproc::SerialChannel<reading> channel(port, {115200});
  frames.put("ready");
  for (int i = 0; i < count; ++i) frames.put(channel.recv_bytes());
  const auto stats = channel.stats();
  std::printf("reader: %llu frames received, %llu dropped\n",
              static_cast<unsigned long long>(stats.messages_received),
              static_cast<unsigned long long>(stats.frames_dropped));
}

// The process that writes to the other end of the line.
void write_readings(std::string peer, int count) {
  mproc::SerialChannel<reading> channel(peer, {115200});
  for (int i = 0; i < count; ++i) channel.send({i, 20.0 + 0.5 * i});
  channel.port().drain();
}

namespace {

// socat's pty pair, killed when the example ends.
struct virtual_cable {
  pid_t pid = -1;
  std::string dir, a, b;

  bool start() {
    char tmpl[] = "/tmp/mproc-serial-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return false;
    dir = tmpl;
    a = dir + "/a";
    b = dir + "/b";
    const std::string pa = "pty,raw,echo=0,link=" + a;
    const std::string pb = "pty,raw,echo=0,link=" + b;
    const char* argv[] = {"socat", pa.c_str(), pb.c_str(), nullptr};
    if (::posix_spawnp(&pid, "socat", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
      pid = -1;
      return false;
    }
    struct stat st;
    for (int i = 0; i < 1000; ++i) {  // up to 10 s
      if (::stat(a.c_str(), &st) == 0 && ::stat(b.c_str(), &st) == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  ~virtual_cable() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
    if (!dir.empty()) ::rmdir(dir.c_str());
  }
};

bool have_socat() { return std::system("command -v socat >/dev/null 2>&1") == 0; }

}  // namespace

int main(int argc, char** argv) {
  mproc::init(argc, argv);

  int count = 10;
  std::string port, peer;
  example::Args args(argc, argv);
  args.option("--count", &count, 1);
  args.option("--port", &port);
  args.option("--peer", &peer);
  if (!args.parse()) return 2;
  if (port.empty() != peer.empty()) {
    std::fprintf(stderr, "%s: give both --port and --peer, or neither\n", argv[0]);
    return 2;
  }

  virtual_cable cable;
  if (port.empty()) {
    if (!have_socat()) {
      std::printf(
          "serial_forwarding: skipped: socat is not installed (bash scripts/install-deps.sh "
          "installs it), and no --port/--peer were given\n");
      return 0;
    }
    if (!cable.start()) {
      std::fprintf(stderr, "serial_forwarding: socat did not create its pty pair\n");
      return 1;
    }
    port = cable.a;
    peer = cable.b;
    std::printf("virtual cable: %s <-> %s (socat)\n", port.c_str(), peer.c_str());
  }

  try {
    FrameQueue frames;
    mproc::Process reader(mproc::fn<&serve_port>, port, frames, count);
    reader.name("serial-reader").start();
    // Only once the reader holds the port does the writer start, so no byte goes unheard.
    const auto ready = frames.try_get_for(std::chrono::seconds(30));
    if (!ready || *ready != "ready") {
      std::fprintf(stderr, "serial_forwarding: the reader never opened %s\n", port.c_str());
      return 1;
    }
    mproc::Process writer(mproc::fn<&write_readings>, peer, count);
    writer.name("serial-writer").start();

    for (int i = 0; i < count; ++i) {
      const auto frame = frames.try_get_for(std::chrono::seconds(30));
      if (!frame) {
        std::fprintf(stderr, "serial_forwarding: reading %d did not arrive\n", i);
        return 1;
      }
      const reading r = mproc::from_bytes<reading>(*frame);
      std::printf("parent: reading %d: %.1f C\n", r.seq, r.celsius);
    }
    writer.join();
    reader.join();
    return reader.exitcode() == 0 && writer.exitcode() == 0 ? 0 : 1;
  } catch (const mproc::error& e) {
    std::fprintf(stderr, "serial_forwarding: %s\n", e.what());
    return 1;
  }
}
