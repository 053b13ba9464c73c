// Serial throughput over a socat pty pair (see socat_pair.h: socat's relay between the two ptys
// is the bottleneck of both rows; bench/limits/serial_floor.cc measures the bare pair):
//   serial/framed_msgs  64-byte messages/s through mproc::SerialChannel in framed mode (COBS +
//                       CRC-32 frames), a writer thread on one end, this thread reading the other;
//   serial/bytes        bytes/s through a raw-mode channel, 64 KiB writes.
// One iteration is a batch (1000 messages, or 4 MiB); every message is checked. Skipped when socat
// is missing.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "mproc/mproc.hpp"
#include "mproc/serial.hpp"
#include "socat_pair.h"

namespace {

constexpr std::int64_t kTimeoutMs = 10000;  // a stuck pair fails the row instead of hanging it

void FramedMsgsBody(benchmark::State& state) {
  SocatPair pair;
  std::string why;
  if (!pair.start(&why)) {
    state.SkipWithError(why.c_str());
    return;
  }
  mproc::SerialChannel<std::string> writer(pair.a), reader(pair.b);
  std::string msg(64, '\0');
  for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<char>(i * 37);  // zeros too
  constexpr int kBatch = 1000;
  std::vector<char> buf(4096);
  for (auto _ : state) {
    std::thread w([&] {
      for (int i = 0; i < kBatch; ++i) {
        if (mproc_serial_channel_send_bytes(writer.native_handle(), msg.data(), msg.size(),
                                            kTimeoutMs) != MPROC_OK) {
          return;
        }
      }
    });
    bool ok = true;
    for (int i = 0; i < kBatch && ok; ++i) {
      std::size_t len = 0;
      ok = mproc_serial_channel_recv_bytes(reader.native_handle(), buf.data(), buf.size(),
                                           kTimeoutMs, &len) == MPROC_OK &&
           len == msg.size() && std::memcmp(buf.data(), msg.data(), len) == 0;
    }
    w.join();
    if (!ok) {
      state.SkipWithError("a message was lost, corrupt or late");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  const auto stats = writer.stats();
  if (stats.messages_sent > 0) {
    state.counters["wire_bytes_per_msg"] =
        static_cast<double>(stats.bytes_sent) / static_cast<double>(stats.messages_sent);
  }
}

void RawBytesBody(benchmark::State& state) {
  SocatPair pair;
  std::string why;
  if (!pair.start(&why)) {
    state.SkipWithError(why.c_str());
    return;
  }
  mproc::channel_options raw;
  raw.framing = mproc::serial_framing::raw;
  mproc::SerialChannel<std::string> writer(pair.a, {}, raw), reader(pair.b, {}, raw);
  constexpr std::size_t kChunk = 64 * 1024, kBatch = 4 * 1024 * 1024;
  std::vector<char> out(kChunk), in(kChunk);
  for (std::size_t i = 0; i < kChunk; ++i) out[i] = static_cast<char>(i * 131 + 7);
  for (auto _ : state) {
    std::thread w([&] {
      for (std::size_t sent = 0; sent < kBatch; sent += kChunk) {
        if (mproc_serial_channel_send_bytes(writer.native_handle(), out.data(), kChunk,
                                            kTimeoutMs) != MPROC_OK) {
          return;
        }
      }
    });
    std::size_t got = 0;
    bool ok = true;
    while (got < kBatch && ok) {
      std::size_t len = 0;
      ok = mproc_serial_channel_recv_bytes(reader.native_handle(), in.data(), in.size(),
                                           kTimeoutMs, &len) == MPROC_OK;
      // The stream is out[] repeated: check each byte against its position.
      for (std::size_t i = 0; ok && i < len; ++i) ok = in[i] == out[(got + i) % kChunk];
      got += len;
    }
    w.join();
    if (!ok) {
      state.SkipWithError("bytes were lost, corrupt or late");
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kBatch));
}

// mproc errors (a port that will not open, a pair that hangs up) fail the row, not the run.
template <void (*Body)(benchmark::State&)>
void Guarded(benchmark::State& state) {
  try {
    Body(state);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

void FramedMsgs(benchmark::State& state) { Guarded<FramedMsgsBody>(state); }
void RawBytes(benchmark::State& state) { Guarded<RawBytesBody>(state); }

BENCHMARK(FramedMsgs)->Name("serial/framed_msgs")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(RawBytes)->Name("serial/bytes")->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
