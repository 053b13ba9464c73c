// libFuzzer target for the serial frame decoder (core/frame.cc). Built with clang
// -fsanitize=fuzzer,address,undefined by tests/fuzz/run.sh. Properties checked on every input:
//   1. no crash, no overflow, no undefined behaviour on any byte stream;
//   2. how the stream is cut into pieces never changes what comes out (frames and drops);
//   3. every frame delivered is within the maximum and survives re-encoding;
//   4. after any garbage, a good frame that follows is delivered intact (resynchronisation);
//   5. the counters agree with what was reported.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "core/frame.h"

namespace {

using mproc_frame::decoder;
using mproc_frame::drop_reason;

struct Record : decoder::sink {
  std::vector<std::string> frames;
  std::vector<std::pair<drop_reason, size_t>> drops;
  void frame(const char* data, size_t n) override { frames.emplace_back(data, n); }
  void drop(drop_reason why, size_t bytes) override { drops.emplace_back(why, bytes); }
};

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t max_payload = 1 + static_cast<size_t>(data[0]) * 8;
  const size_t step = 1 + data[1] % 17;
  const char* stream = reinterpret_cast<const char*>(data + 2);
  const size_t n = size - 2;

  // 1 + 2: whole versus pieces of `step` bytes.
  decoder whole(max_payload);
  Record a;
  whole.feed(stream, n, &a);
  whole.finish(&a);
  decoder pieces(max_payload);
  Record b;
  for (size_t at = 0; at < n; at += step)
    pieces.feed(stream + at, n - at < step ? n - at : step, &b);
  pieces.finish(&b);
  check(a.frames == b.frames);
  check(a.drops == b.drops);

  // 3 + 5.
  check(whole.stats().frames == a.frames.size());
  check(whole.stats().dropped_total() == a.drops.size());
  uint64_t discarded = 0;
  for (const auto& d : a.drops) discarded += d.second;
  check(whole.stats().bytes_discarded == discarded);
  for (const auto& f : a.frames) {
    check(f.size() <= max_payload);
    std::string again;
    mproc_frame::encode(f.data(), f.size(), &again);
    check(again.size() <= mproc_frame::max_encoded_size(f.size()));
    decoder d(max_payload);
    Record r;
    d.feed(again.data(), again.size(), &r);
    check(r.frames.size() == 1 && r.frames[0] == f && r.drops.empty());
  }

  // 4: the input as garbage, then a frame whose payload is the input's tail.
  const std::string payload(stream + (n > max_payload ? n - max_payload : 0),
                            n > max_payload ? max_payload : n);
  std::string wire(stream, n);
  mproc_frame::encode(payload.data(), payload.size(), &wire);
  decoder after(max_payload);
  Record c;
  after.feed(wire.data(), wire.size(), &c);
  check(!c.frames.empty() && c.frames.back() == payload);
  check(!after.in_frame());
  return 0;
}
