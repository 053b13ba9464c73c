// Serial ports and the framed channel, against socat pseudo-terminal pairs: raw bytes, framed
// messages in order, garbage and bit flips, the peer dying, pyserial at the other end both ways, a
// reader process forwarding frames to the parent, and every kind of bad input.
//
// Each test starts its own `socat pty,raw,echo=0,link=<dir>/a pty,raw,echo=0,link=<dir>/b`
// (socat ends when either side is closed, so pairs are not reused) and is skipped, with the reason,
// when socat (or, for interop, python3 with pyserial) is missing. POSIX by nature (ptys, /dev
// paths): on Win32 every test here compiles and skips, saying why. Enumeration, which every
// platform has, is in serial_test.cc.
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

#if !defined(_WIN32)
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;
#endif

namespace serial_test {

using namespace std::chrono_literals;

// ---- Fixtures -----------------------------------------------------------------------------------

#if defined(_WIN32)
constexpr const char* kNoPty =
    "socat pseudo-terminal pairs are POSIX (a Win32 COM pair needs com0com or Wine's Ports key)";
#endif

// A socat pty pair: bytes written to `a` come out of `b` and back.
class SocatPair {
 public:
  ~SocatPair() { kill(); }

  // Starts socat and waits (10 s at most) for both links. False with a reason otherwise.
  bool start(const mproc_test::TempDir& dir, std::string* why) {
#if defined(_WIN32)
    (void)dir;
    *why = kNoPty;
    return false;
#else
    std::string out;
    if (mproc_test::platform::run_program("/bin/sh", {"-c", "command -v socat"},
                                          std::chrono::seconds(30), &out) != 0) {
      *why = "socat is not installed (bash scripts/install-deps.sh installs it)";
      return false;
    }
    a = dir.file("a");
    b = dir.file("b");
    log = dir.file("socat.log");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const std::string pa = "pty,raw,echo=0,link=" + a;
    const std::string pb = "pty,raw,echo=0,link=" + b;
    const char* argv[] = {"socat", "-d", "-d", pa.c_str(), pb.c_str(), nullptr};
    const int r =
        posix_spawnp(&pid_, "socat", &actions, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (r != 0) {
      *why = std::string("cannot start socat: ") + std::strerror(r);
      pid_ = -1;
      return false;
    }
    const bool up = mproc_test::eventually(
        [&] { return mproc_test::file_exists(a) && mproc_test::file_exists(b); }, 10s);
    if (!up) {
      *why =
          "socat did not create its pty links within 10 s; its log: " + mproc_test::read_file(log);
      kill();
      return false;
    }
    return true;
#endif
  }

  // The peer disappears: SIGKILL, so socat gets no chance to flush or close politely.
  void kill() {
#if !defined(_WIN32)
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
#endif
  }

  std::string a, b, log;

 private:
#if !defined(_WIN32)
  pid_t pid_ = -1;
#endif
};

class Serial : public testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!pair_.start(dir_, &why)) GTEST_SKIP() << why;
  }
  mproc_test::TempDir dir_;
  SocatPair pair_;
};

// A python3 that has pyserial (the PATH's may be a pyenv without it), or "".
std::string pyserial_python() {
  static const std::string found = [] {
    for (const char* candidate : {"/usr/bin/python3", "python3"}) {
      std::string out;
      if (mproc_test::platform::run_program(candidate, {"-c", "import serial"},
                                            std::chrono::seconds(60), &out) == 0) {
        return std::string(candidate);
      }
    }
    return std::string();
  }();
  return found;
}

std::string random_bytes(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

// The i-th message of the interop tests; the Python peer computes the same (zeros included).
std::string interop_payload(int i) {
  std::string s = "msg " + std::to_string(i) + "|";
  for (int k = 0; k < i % 300; ++k) s.push_back(static_cast<char>((i * 7 + k) % 256));
  return s;
}

// An encoder written apart from core/frame.cc, from the documented wire format, so the tests
// also check the format rather than the code against itself.
uint32_t test_crc32(const std::string& s) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : s) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string test_frame(const std::string& payload) {
  std::string body = payload;
  const uint32_t crc = test_crc32(payload);
  for (int i = 0; i < 4; ++i) body.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  std::string out(1, '\0');
  size_t start = 0;
  while (start <= body.size()) {
    size_t end = start;
    while (end < body.size() && body[end] != '\0' && end - start < 254) ++end;
    out.push_back(static_cast<char>(end - start + 1));
    out.append(body, start, end - start);
    if (end - start == 254 && end < body.size()) {
      start = end;  // a full block: no zero was consumed
      continue;
    }
    start = end + 1;
  }
  out.push_back('\0');
  return out;
}

mproc::errc code_of(const mproc::error& e) { return static_cast<mproc::errc>(e.code().value()); }

// Expects fn to throw mproc::error with the code and a message containing every piece of `parts`.
template <class F>
void expect_error(F&& fn, mproc::errc code, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no error; expected " << mproc_strerror(static_cast<int>(code));
  } catch (const mproc::error& e) {
    EXPECT_EQ(code_of(e), code) << e.what();
    for (const auto& p : parts) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "'" << p << "' not in: " << e.what();
    }
  }
}

// ---- Raw bytes ----------------------------------------------------------------------------------

TEST_F(Serial, OneMebibyteOfRandomBytesArrivesIntactInRawMode) {
  mproc::SerialPort a(pair_.a, {115200});
  mproc::SerialPort b(pair_.b, {115200});
  EXPECT_TRUE(a.is_pty());
  std::mt19937 rng(11);
  const std::string sent = random_bytes(rng, 1 << 20);
  std::thread writer([&] { a.write(sent, 60s); });
  std::string got;
  while (got.size() < sent.size()) {
    const std::string part = b.read(sent.size() - got.size(), 20s);
    if (part.empty()) break;  // a timeout: the comparison below fails
    got += part;
  }
  writer.join();
  ASSERT_EQ(got.size(), sent.size());
  EXPECT_TRUE(got == sent) << "the bytes differ";
}

TEST_F(Serial, RawChannelCarriesBytesWithoutFraming) {
  mproc::channel_options raw;
  raw.framing = mproc::serial_framing::raw;
  mproc::SerialChannel<std::string> a(pair_.a, {}, raw);
  mproc::SerialChannel<std::string> b(pair_.b, {}, raw);
  std::mt19937 rng(12);
  const std::string sent = random_bytes(rng, 100000);
  std::thread writer([&] { a.send_bytes(sent); });
  std::string got;
  ASSERT_TRUE(b.poll(20s));
  while (got.size() < sent.size()) {
    auto part = b.recv_bytes(20s);
    if (!part) break;
    got += *part;
  }
  writer.join();
  EXPECT_TRUE(got == sent);
  EXPECT_EQ(b.stats().bytes_received, sent.size());
  EXPECT_EQ(a.stats().bytes_sent, sent.size());
}

TEST_F(Serial, ReadExactWaitsForAllBytesAndTimesOutWithWhatCame) {
  mproc::SerialPort a(pair_.a);
  mproc::SerialPort b(pair_.b);
  a.write("hello");
  EXPECT_EQ(b.read_exact(5, 20s), "hello");
  a.write("abc");
  EXPECT_EQ(b.read_exact(10, 300ms), "abc");
  EXPECT_EQ(b.read(10, 50ms), "");
}

TEST_F(Serial, WaitingFlushAndDrainWorkOnAPty) {
  mproc::SerialPort a(pair_.a);
  mproc::SerialPort b(pair_.b);
  a.write(std::string(100, 'x'));
  a.drain();
  EXPECT_TRUE(a.drain(1s));
  EXPECT_TRUE(mproc_test::eventually([&] { return b.in_waiting() == 100; }, 20s));
  b.reset_input_buffer();
  EXPECT_EQ(b.in_waiting(), 0u);
  EXPECT_EQ(b.read(10, 50ms), "");
  EXPECT_EQ(a.out_waiting(), 0u);
}

TEST_F(Serial, ConfigurationIsAppliedAndReported) {
  mproc::SerialPort a(pair_.a, {57600, 7, mproc::serial_parity::even, 2, true, false});
  auto o = a.options();
  EXPECT_EQ(o.baudrate, 57600);
  EXPECT_EQ(o.data_bits, 7);
  EXPECT_EQ(o.parity, mproc::serial_parity::even);
  EXPECT_EQ(o.stop_bits, 2);
  EXPECT_TRUE(o.xonxoff);
  a.configure({115200});
  EXPECT_EQ(a.options().baudrate, 115200);
  EXPECT_EQ(a.options().parity, mproc::serial_parity::none);
}

// ---- Framed messages ----------------------------------------------------------------------------

TEST_F(Serial, TenThousandFramedMessagesOfRandomSizesArriveInOrder) {
  mproc::SerialChannel<std::string> a(pair_.a, {115200});
  mproc::SerialChannel<std::string> b(pair_.b, {115200});
  std::mt19937 rng(13);
  std::vector<std::string> sent;
  for (int i = 0; i < 10000; ++i) sent.push_back(random_bytes(rng, rng() % 1025));
  std::thread writer([&] {
    for (const auto& m : sent) a.send_bytes(m);
  });
  size_t matched = 0;
  for (size_t i = 0; i < sent.size(); ++i) {
    auto m = b.recv_bytes(20s);
    if (!m) break;
    if (*m != sent[i]) break;
    ++matched;
  }
  writer.join();
  EXPECT_EQ(matched, sent.size());
  const auto st = b.stats();
  EXPECT_EQ(st.messages_received, sent.size());
  EXPECT_EQ(st.frames_dropped, 0u);
  EXPECT_EQ(a.stats().messages_sent, sent.size());
}

TEST_F(Serial, GarbageBetweenFramesIsSkippedAndCounted) {
  mproc::SerialChannel<std::string> a(pair_.a);
  mproc::SerialChannel<std::string> b(pair_.b);
  a.send_bytes("one");
  a.port().write("line noise without a zero byte");
  a.send_bytes("two");
  a.port().write(std::string("\x07\x00\x42junk\x00\x01", 9));
  a.send_bytes("three");
  EXPECT_EQ(b.recv_bytes(20s), "one");
  EXPECT_EQ(b.recv_bytes(20s), "two");
  EXPECT_EQ(b.recv_bytes(20s), "three");
  const auto st = b.stats();
  EXPECT_GE(st.frames_dropped, 3u);
  EXPECT_EQ(st.frames_dropped, st.dropped_crc + st.dropped_malformed);
  EXPECT_GE(st.bytes_discarded, 30u + 7u);
  EXPECT_EQ(st.messages_received, 3u);
}

TEST_F(Serial, AFlippedBitIsDetectedReportedAndSkipped) {
  mproc::SerialPort a(pair_.a);
  mproc::channel_options report;
  report.report_corrupt = true;
  mproc::SerialChannel<std::string> b(pair_.b, {}, report);
  std::string bad = test_frame("the payload of a frame that gets hit by noise");
  bad[10] = static_cast<char>(bad[10] ^ 0x10);
  a.write(bad + test_frame("intact"));
  expect_error([&] { b.recv_bytes(20s); }, mproc::errc::corrupt,
               {"mproc_serial_channel_recv_bytes", pair_.b, "CRC mismatch"});
  EXPECT_EQ(b.recv_bytes(20s), "intact");
  EXPECT_EQ(b.stats().dropped_crc, 1u);
}

TEST_F(Serial, FramesFromTheDocumentedFormatDecode) {
  mproc::SerialPort a(pair_.a);
  mproc::SerialChannel<std::string> b(pair_.b);
  const std::string zeros("\0\0x\0", 4);
  const std::string long_run(600, 'z');  // crosses the 254-byte COBS block
  a.write(test_frame(zeros) + test_frame(long_run) + test_frame(""));
  EXPECT_EQ(b.recv_bytes(20s), zeros);
  EXPECT_EQ(b.recv_bytes(20s), long_run);
  EXPECT_EQ(b.recv_bytes(20s), "");
}

TEST_F(Serial, TypedValuesGoThroughTheCodec) {
  struct reading {
    int sensor;
    double value;
  };
  mproc::SerialChannel<std::vector<reading>> a(pair_.a);
  mproc::SerialChannel<std::vector<reading>> b(pair_.b);
  a.send({{1, 2.5}, {2, -1.0}});
  auto got = b.recv(20s);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[1].sensor, 2);
  EXPECT_EQ((*got)[1].value, -1.0);
}

TEST_F(Serial, PollAndFilenoReportArrivals) {
  mproc::SerialChannel<std::string> a(pair_.a);
  mproc::SerialChannel<std::string> b(pair_.b);
  EXPECT_FALSE(b.poll());
  EXPECT_FALSE(b.poll(20ms));
  EXPECT_FALSE(b.recv(10ms).has_value());
  a.send("ping");
  ASSERT_EQ(mproc_test::platform::wait_readable(b.fileno(), 20000), 1);
  EXPECT_TRUE(b.poll(20s));
  EXPECT_TRUE(b.poll());  // the decoded message is held: still ready
  EXPECT_EQ(b.recv(), "ping");
  EXPECT_FALSE(b.poll());
}

TEST_F(Serial, BufferTooShortKeepsTheMessage) {
  mproc::SerialChannel<std::string> a(pair_.a);
  mproc::SerialChannel<std::string> b(pair_.b);
  a.send_bytes("0123456789");
  char small[4];
  std::error_code ec;
  ASSERT_TRUE(b.poll(20s));
  EXPECT_EQ(b.recv_bytes_into(small, sizeof small, ec), 10u);
  EXPECT_EQ(ec, mproc::errc::buffer_too_short);
  expect_error([&] { b.recv_bytes_into(small, sizeof small); }, mproc::errc::buffer_too_short,
               {"10 bytes", pair_.b});
  char big[16];
  EXPECT_EQ(b.recv_bytes_into(big, sizeof big), 10u);
  EXPECT_EQ(std::string(big, 10), "0123456789");
}

TEST_F(Serial, MessageOverTheMaximumIsTooBigOnSendAndDroppedOnReceive) {
  mproc::channel_options small;
  small.max_message_size = 100;
  mproc::channel_options large;
  large.max_message_size = 1000;
  mproc::SerialChannel<std::string> a(pair_.a, {}, large);
  mproc::SerialChannel<std::string> b(pair_.b, {}, small);
  expect_error([&] { b.send_bytes(std::string(101, 'x')); }, mproc::errc::too_big,
               {pair_.b, "101 bytes", "maximum of 100"});
  a.send_bytes(std::string(500, 'y'));
  a.send_bytes("fits");
  EXPECT_EQ(b.recv_bytes(20s), "fits");
  EXPECT_EQ(b.stats().dropped_oversize, 1u);
  a.send_bytes(std::string(50, 'z'));
  expect_error([&] { b.recv_bytes(10); }, mproc::errc::too_big, {"maxlength 10"});
}

// ---- The peer disappears --------------------------------------------------------------------------

TEST_F(Serial, PeerKilledMidFrameIsEndOfFileNotAHang) {
  mproc::SerialPort a(pair_.a);
  mproc::SerialChannel<std::string> b(pair_.b);
  const std::string f = test_frame(std::string(200, 'q'));
  a.write(f.substr(0, f.size() / 2));
  ASSERT_TRUE(mproc_test::eventually(
      [&] { return !b.poll() && b.stats().bytes_received == f.size() / 2; }, 20s));
  pair_.kill();
  const auto start = std::chrono::steady_clock::now();
  expect_error([&] { b.recv_bytes(30s); }, mproc::errc::eof, {pair_.b, "hung up"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
  EXPECT_EQ(b.stats().dropped_truncated, 1u);
  EXPECT_TRUE(b.poll());  // at end of file a receive does not block
  expect_error([&] { b.recv_bytes(); }, mproc::errc::eof, {});
}

TEST_F(Serial, PeerKilledWhileAReceiveWaitsWakesIt) {
  mproc::SerialChannel<std::string> b(pair_.b);
  std::atomic<int> code{0};
  std::thread receiver([&] {
    try {
      b.recv_bytes(30s);
    } catch (const mproc::error& e) {
      code = e.code().value();
    }
  });
  // Let the receiver block (if it has not yet, it sees the hang-up at once: same outcome).
  std::this_thread::sleep_for(100ms);
  pair_.kill();
  receiver.join();
  EXPECT_EQ(code.load(), MPROC_E_EOF);
}

TEST_F(Serial, WritingAfterThePeerDiedIsEndOfFile) {
  mproc::SerialChannel<std::string> a(pair_.a);
  pair_.kill();
  expect_error(
      [&] {
        for (int i = 0; i < 100000; ++i) a.send_bytes("into the void", 10s);
      },
      mproc::errc::eof, {pair_.a, "hung up"});
}

// ---- pyserial at the other end ------------------------------------------------------------------

const char* kPeerScript = R"PY(
import struct, sys, time, zlib
import serial

def cobs_encode(data):
    out, block = bytearray(), bytearray()
    for b in data:
        if b == 0:
            out.append(len(block) + 1); out += block; block = bytearray()
        else:
            block.append(b)
            if len(block) == 254:
                out.append(255); out += block; block = bytearray()
    out.append(len(block) + 1); out += block
    return bytes(out)

def cobs_decode(data):
    out, i = bytearray(), 0
    while i < len(data):
        code = data[i]
        if code == 0 or i + code > len(data):
            raise ValueError("bad cobs")
        out += data[i + 1:i + code]
        i += code
        if code < 255 and i < len(data):
            out.append(0)
    return bytes(out)

def frame(payload):
    return b"\0" + cobs_encode(payload + struct.pack("<I", zlib.crc32(payload))) + b"\0"

def payload(i):
    return ("msg %d|" % i).encode() + bytes((i * 7 + k) % 256 for k in range(i % 300))

class Reader:
    def __init__(self, port):
        self.port, self.buf, self.frames, self.bad = port, bytearray(), [], 0
    def next(self, deadline):
        while not self.frames:
            if time.monotonic() > deadline:
                raise TimeoutError("no frame")
            self.buf += self.port.read(self.port.in_waiting or 1)
            *chunks, self.buf = self.buf.split(b"\0")
            for c in chunks:
                if not c:
                    continue
                try:
                    body = cobs_decode(bytes(c))
                except ValueError:
                    self.bad += 1; continue
                if len(body) >= 4 and struct.unpack("<I", body[-4:])[0] == zlib.crc32(body[:-4]):
                    self.frames.append(body[:-4])
                else:
                    self.bad += 1
            self.buf = bytearray(self.buf)
        return self.frames.pop(0)

mode, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
port = serial.Serial(path, 115200, timeout=0.2)
reader = Reader(port)
deadline = time.monotonic() + 60
port.write(frame(b"ready"))
if mode == "send":        # pyserial -> mproc, then wait for mproc's ack
    for i in range(n):
        port.write(frame(payload(i)))
        if i == n // 2:
            port.write(b"noise from the python side")
    port.write(frame(b"end"))
    port.flush()
    ack = reader.next(deadline)
    print("ack" if ack == b"ack" else "wrong ack %r" % ack)
    sys.exit(0 if ack == b"ack" else 3)
elif mode == "recv":      # mproc -> pyserial
    for i in range(n):
        got = reader.next(deadline)
        if got != payload(i):
            print("message %d differs: %r" % (i, got[:40])); sys.exit(4)
    print("received %d bad %d" % (n, reader.bad))
elif mode == "raw":       # raw bytes from pyserial, once mproc's channel has stopped reading
    if reader.next(deadline) != b"go":
        print("no go"); sys.exit(5)
    port.write(bytes((k * 31 + 7) % 256 for k in range(n)))
    port.flush()
    reader.next(deadline)  # mproc's ack
    print("raw sent")
)PY";

class SerialInterop : public Serial {
 protected:
  void SetUp() override {
    Serial::SetUp();
    if (IsSkipped()) return;
    python_ = pyserial_python();
    if (python_.empty()) {
      GTEST_SKIP() << "no python3 with pyserial (apt-get install python3-serial)";
    }
    script_ = dir_.file("peer.py");
    mproc_test::write_file(script_, kPeerScript);
  }
  // Runs the peer on port b in a thread; the result is read with finish().
  void run_peer(const std::string& mode, int n) {
    peer_ = std::thread([this, mode, n] {
      status_ = mproc_test::platform::run_program(
          python_, {script_, mode, pair_.b, std::to_string(n)}, std::chrono::seconds(90), &output_);
    });
  }
  int finish() {
    if (peer_.joinable()) peer_.join();
    return status_;
  }
  void TearDown() override {
    if (peer_.joinable()) {
      pair_.kill();  // unblocks a peer that waits on the port
      peer_.join();
    }
  }
  std::string python_, script_, output_;
  std::thread peer_;
  int status_ = -1;
};

TEST_F(SerialInterop, PyserialSendsFramesThatArriveInOrder) {
  mproc::SerialChannel<std::string> a(pair_.a, {115200});
  run_peer("send", 500);
  ASSERT_EQ(a.recv_bytes(60s), "ready");
  for (int i = 0; i < 500; ++i) {
    auto m = a.recv_bytes(30s);
    ASSERT_TRUE(m.has_value()) << "message " << i << " never came";
    ASSERT_EQ(*m, interop_payload(i)) << "message " << i;
  }
  EXPECT_EQ(a.recv_bytes(30s), "end");
  EXPECT_EQ(a.stats().frames_dropped, 1u);  // the noise
  a.send_bytes("ack");
  EXPECT_EQ(finish(), 0) << output_;
  EXPECT_NE(output_.find("ack"), std::string::npos) << output_;
}

TEST_F(SerialInterop, MprocSendsFramesThatPyserialDecodes) {
  mproc::SerialChannel<std::string> a(pair_.a, {115200});
  run_peer("recv", 500);
  ASSERT_EQ(a.recv_bytes(60s), "ready");
  for (int i = 0; i < 500; ++i) a.send_bytes(interop_payload(i), 30s);
  EXPECT_EQ(finish(), 0) << output_;
  EXPECT_NE(output_.find("received 500 bad 0"), std::string::npos) << output_;
}

TEST_F(SerialInterop, PyserialRawBytesArriveIntact) {
  mproc::SerialChannel<std::string> a(pair_.a, {115200});
  constexpr int n = 200000;
  run_peer("raw", n);
  ASSERT_EQ(a.recv_bytes(60s), "ready");
  // The channel reads ahead of the frame it decodes: bytes sent right behind "ready" could sit
  // in its buffer, out of the port's reach. The peer sends them only after "go".
  a.send_bytes("go");
  mproc::SerialPort port = a.port();
  const std::string got = port.read_exact(n, 60s);
  ASSERT_EQ(got.size(), static_cast<size_t>(n));
  for (int k = 0; k < n; ++k) {
    ASSERT_EQ(static_cast<unsigned char>(got[k]), (k * 31 + 7) % 256) << "byte " << k;
  }
  a.send_bytes("ack");
  EXPECT_EQ(finish(), 0) << output_;
}

// ---- Cross-process: a reader process forwards frames into a queue ----------------------------

// Serves the port: opens it, says "ready", forwards each message until `count` arrived.
void forward_frames(std::string port, mproc::Queue<std::string> queue, int count) {
  mproc::SerialChannel<std::string> channel(port, {115200});
  queue.put("ready");
  for (int i = 0; i < count; ++i) queue.put(channel.recv_bytes());
}

void write_frames(std::string port, int count) {
  mproc::SerialChannel<std::string> channel(port, {115200});
  for (int i = 0; i < count; ++i) channel.send_bytes("frame " + std::to_string(i));
  channel.port().drain();
}

// The same, with the channel opened by the parent and passed as an argument.
void forward_given(mproc::SerialChannel<std::string> channel, mproc::Queue<std::string> queue, int count) {
  queue.put("ready " + channel.name());
  for (int i = 0; i < count; ++i) queue.put(channel.recv_bytes());
}

class SerialProcess : public mproc_test::MethodTest {
 protected:
  void SetUp() override {
    MethodTest::SetUp();
    if (IsSkipped()) return;
    std::string why;
    if (!pair_.start(dir_, &why)) GTEST_SKIP() << why;
  }
  mproc_test::TempDir dir_;
  SocatPair pair_;
};

TEST_P(SerialProcess, ReaderProcessForwardsFramesIntoAQueueReadByTheParent) {
  constexpr int kCount = 300;
  mproc::Queue<std::string> queue;
  mproc::Process reader(ctx(), mproc::fn<&forward_frames>, pair_.a, queue, kCount);
  reader.start();
  ASSERT_EQ(queue.get(30s), "ready");
  mproc::Process writer(ctx(), mproc::fn<&write_frames>, pair_.b, kCount);
  writer.start();
  for (int i = 0; i < kCount; ++i) {
    auto item = queue.try_get_for(30s);
    ASSERT_TRUE(item.has_value()) << "frame " << i << " never came";
    ASSERT_EQ(*item, "frame " + std::to_string(i));
  }
  ASSERT_TRUE(writer.join(mproc_test::kJoinTimeout));
  ASSERT_TRUE(reader.join(mproc_test::kJoinTimeout));
  EXPECT_EQ(writer.exitcode(), 0) << writer.failure().value_or("");
  EXPECT_EQ(reader.exitcode(), 0) << reader.failure().value_or("");
}

TEST_P(SerialProcess, AChannelPassedToAChildKeepsItsPortAndLock) {
  constexpr int kCount = 50;
  mproc::SerialChannel<std::string> a(pair_.a, {115200});
  mproc::Queue<std::string> queue;
  mproc::Process reader(ctx(), mproc::fn<&forward_given>, a, queue, kCount);
  reader.start();
  ASSERT_EQ(queue.get(30s), "ready " + pair_.a);
  // The child shares the parent's lock, so a third open is still refused.
  expect_error([&] { mproc::SerialPort again(pair_.a); }, mproc::errc::bad_state,
               {pair_.a, "already open elsewhere"});
  mproc::SerialChannel<std::string> b(pair_.b, {115200});
  for (int i = 0; i < kCount; ++i) b.send_bytes("given " + std::to_string(i));
  for (int i = 0; i < kCount; ++i) {
    auto item = queue.try_get_for(30s);
    ASSERT_TRUE(item.has_value());
    ASSERT_EQ(*item, "given " + std::to_string(i));
  }
  ASSERT_TRUE(reader.join(mproc_test::kJoinTimeout));
  EXPECT_EQ(reader.exitcode(), 0) << reader.failure().value_or("");
}

// The seed-000 example end to end: it starts its own socat pair, so it runs here as it would on a
// machine without serial hardware.
TEST_P(SerialProcess, TheForwardingExamplePrintsEveryReading) {
  const std::filesystem::path program =
      std::filesystem::path(mproc_test::examples_dir()) /
      mproc_test::platform::program_file("mproc_example_serial_forwarding");
  if (mproc_test::examples_dir().empty() || !std::filesystem::exists(program)) {
    GTEST_SKIP() << "the examples are not part of this build";
  }
  std::string out;
  const int status = mproc_test::platform::run_program(
      program.string(), {"--count", "25", "--start-method", mproc::to_string(GetParam())},
      std::chrono::seconds(120), &out);
  ASSERT_EQ(status, 0) << out;
  for (int i = 0; i < 25; ++i) {
    char line[64];
    std::snprintf(line, sizeof line, "parent: reading %d: %.1f C\n", i, 20.0 + 0.5 * i);
    EXPECT_NE(out.find(line), std::string::npos) << line << " missing in:\n" << out;
  }
  EXPECT_NE(out.find("reader: 25 frames received, 0 dropped"), std::string::npos) << out;
}

MPROC_INSTANTIATE_FOR_METHODS(SerialProcess);

// ---- Bad input ------------------------------------------------------------------------------------

TEST(SerialBadInput, APortThatDoesNotExistIsAnErrorNamingIt) {
#if defined(_WIN32)
  GTEST_SKIP() << "/dev paths and ENOENT from open(2) are POSIX";
#endif
  expect_error([] { mproc::SerialPort p("/dev/ttyUSB-no-such-port"); }, mproc::errc::os_error,
               {"mproc_serial_open", "/dev/ttyUSB-no-such-port", "no such port"});
  EXPECT_EQ(mproc_last_os_error(), ENOENT);
}

TEST(SerialBadInput, APathThatIsNotATtyIsInvalid) {
#if defined(_WIN32)
  GTEST_SKIP() << "a path to a regular file, a directory or /dev/null opened as a port is POSIX";
#endif
  mproc_test::TempDir dir;
  mproc_test::write_file(dir.file("plain"), "not a device");
  expect_error([&] { mproc::SerialPort p(dir.file("plain")); }, mproc::errc::invalid_argument,
               {dir.file("plain"), "not a serial port", "regular file"});
  expect_error([&] { mproc::SerialPort p(dir.path()); }, mproc::errc::invalid_argument,
               {"not a serial port", "directory"});
  mproc_serial_port_list* list = nullptr;
  const bool machine_ports = mproc_serial_list_ports(&list) != MPROC_E_NOT_SUPPORTED;
  mproc_serial_port_list_destroy(list);
  if (machine_ports) {
    expect_error([] { mproc::SerialPort p("/dev/null"); }, mproc::errc::invalid_argument,
                 {"/dev/null", "not a serial port"});
  } else {  // only libserialport could tell: without it, every port but a pty is not supported
    expect_error([] { mproc::SerialPort p("/dev/null"); }, mproc::errc::not_supported,
                 {"/dev/null", "without serial port support"});
  }
  mproc_serial* s = nullptr;
  EXPECT_EQ(mproc_serial_open("", nullptr, &s), MPROC_E_INVAL);
  EXPECT_EQ(mproc_serial_open(nullptr, nullptr, &s), MPROC_E_INVAL);
  EXPECT_EQ(s, nullptr);
}

TEST_F(Serial, AnUnsupportedBaudRateOrParityIsAClearError) {
  expect_error([&] { mproc::SerialPort p(pair_.a, {12345}); }, mproc::errc::not_supported,
               {pair_.a, "baud rate 12345"});
  expect_error([&] { mproc::SerialPort p(pair_.a, {-9600}); }, mproc::errc::invalid_argument,
               {pair_.a, "baud rate -9600"});
  mproc::serial_options bad_parity;
  bad_parity.parity = static_cast<mproc::serial_parity>(9);
  expect_error([&] { mproc::SerialPort p(pair_.a, bad_parity); }, mproc::errc::invalid_argument,
               {pair_.a, "parity 9"});
  expect_error(
      [&] {
        mproc::SerialPort p(pair_.a, {9600, 9});
      },
      mproc::errc::invalid_argument, {pair_.a, "9 data bits"});
  expect_error(
      [&] {
        mproc::SerialPort p(pair_.a, {9600, 8, mproc::serial_parity::none, 3});
      },
      mproc::errc::invalid_argument, {pair_.a, "3 stop bits"});
  // A failed reconfiguration leaves the port as it was.
  mproc::SerialPort ok(pair_.a, {19200});
  expect_error([&] { ok.configure({12345}); }, mproc::errc::not_supported,
               {"mproc_serial_configure", pair_.a});
  EXPECT_EQ(ok.options().baudrate, 19200);
}

TEST_F(Serial, APortAlreadyOpenElsewhereIsRefusedNamingIt) {
  mproc::SerialPort first(pair_.a);
  expect_error([&] { mproc::SerialPort second(pair_.a); }, mproc::errc::bad_state,
               {"mproc_serial_open", pair_.a, "already open elsewhere"});
  mproc::serial_options shared;
  shared.exclusive = false;
  EXPECT_NO_THROW(mproc::SerialPort third(pair_.a, shared));
  first.close();
  EXPECT_NO_THROW(mproc::SerialPort fourth(pair_.a));
}

TEST_F(Serial, APortHeldByPyserialExclusivelyIsRefused) {
  const std::string python = pyserial_python();
  if (python.empty()) GTEST_SKIP() << "no python3 with pyserial";
  const std::string flag = dir_.file("held");
  std::thread holder([&] {
    std::string out;
    mproc_test::platform::run_program(python,
                                      {"-c",
                                       "import serial, os, time, sys; "
                                       "p = serial.Serial(sys.argv[1], exclusive=True); "
                                       "open(sys.argv[2], 'w').close(); time.sleep(1.5)",
                                       pair_.a, flag},
                                      std::chrono::seconds(60), &out);
  });
  ASSERT_TRUE(mproc_test::eventually([&] { return mproc_test::file_exists(flag); }, 30s));
  expect_error([&] { mproc::SerialPort p(pair_.a); }, mproc::errc::bad_state,
               {pair_.a, "already open elsewhere"});
  holder.join();
}

TEST_F(Serial, AFrameOverTheConfiguredMaximumIsRejectedNamingThePort) {
  mproc::channel_options o;
  o.max_message_size = MPROC_SERIAL_MAX_MESSAGE_LIMIT + 1ull;
  expect_error([&] { mproc::SerialChannel<std::string> c(pair_.a, {}, o); },
               mproc::errc::invalid_argument, {pair_.a, "maximum message size"});
  mproc::SerialChannel<std::string> c(pair_.a);
  expect_error([&] { c.send_bytes(std::string(MPROC_SERIAL_DEFAULT_MAX_MESSAGE + 1, 'x')); },
               mproc::errc::too_big, {"mproc_serial_channel_send_bytes", pair_.a, "maximum"});
}

TEST_F(Serial, APtyHasNoModemLines) {
  mproc::SerialPort a(pair_.a);
  expect_error([&] { (void)a.signals(); }, mproc::errc::not_supported,
               {"mproc_serial_get_signals", pair_.a, "no modem lines"});
  expect_error([&] { a.set_dtr(true); }, mproc::errc::not_supported, {pair_.a});
  mproc::SerialPort flow(pair_.b, {9600, 8, mproc::serial_parity::none, 1, false, true});
  expect_error([&] { flow.set_rts(true); }, mproc::errc::bad_state, {pair_.b, "RTS/CTS"});
}

TEST_F(Serial, AClosedPortOrChannelSaysSo) {
  mproc::SerialPort a(pair_.a);
  a.close();
  a.close();
  EXPECT_TRUE(a.closed());
  expect_error([&] { a.write("x"); }, mproc::errc::closed, {pair_.a, "closed"});
  mproc::SerialChannel<std::string> b(pair_.b);
  b.close();
  expect_error([&] { b.send_bytes("x"); }, mproc::errc::closed, {pair_.b, "closed"});
  expect_error([&] { b.poll(); }, mproc::errc::closed, {pair_.b});
}

TEST_F(Serial, CArgumentsAreChecked) {
  mproc_serial* s = nullptr;
  ASSERT_EQ(mproc_serial_open(pair_.a.c_str(), nullptr, &s), MPROC_OK);
  char buf[4];
  size_t got = 0;
  EXPECT_EQ(mproc_serial_read(s, buf, 0, &got, 0), MPROC_E_INVAL);
  EXPECT_EQ(mproc_serial_read(s, buf, sizeof buf, &got, -5), MPROC_E_INVAL);
  EXPECT_EQ(mproc_serial_read(s, buf, sizeof buf, &got, 0), MPROC_E_TIMEOUT);
  EXPECT_NE(std::string(mproc_last_error()).find(pair_.a), std::string::npos);
  EXPECT_EQ(mproc_serial_flush(s, 7), MPROC_E_INVAL);
  mproc_serial_channel_options bad = MPROC_SERIAL_CHANNEL_OPTIONS_INIT;
  bad.framing = 5;
  mproc_serial_channel* c = nullptr;
  EXPECT_EQ(mproc_serial_channel_create(s, &bad, &c), MPROC_E_INVAL);
  EXPECT_EQ(c, nullptr);
  ASSERT_EQ(mproc_serial_channel_create(s, nullptr, &c), MPROC_OK);  // takes the port over
  size_t len = 0;
  EXPECT_EQ(mproc_serial_channel_recv_bytes(c, nullptr, 0, 0, &len), MPROC_E_TIMEOUT);
  EXPECT_EQ(mproc_serial_channel_recv_bytes(c, nullptr, 4, 0, &len), MPROC_E_INVAL);
  mproc_serial_channel_destroy(c);
  mproc_serial_channel_destroy(nullptr);
  mproc_serial_destroy(nullptr);
  EXPECT_EQ(mproc_serial_open_handle(-1, "x", nullptr, &s), MPROC_E_INVAL);
  mproc_test::platform::OsPipe pipe;
  EXPECT_EQ(mproc_serial_open_handle(pipe.read_end(), "a pipe", nullptr, &s), MPROC_E_INVAL);
  EXPECT_NE(std::string(mproc_last_error()).find("not a serial port"), std::string::npos);
}

}  // namespace serial_test
