// core/frame.h — message framing for byte streams that can lose, add or corrupt bytes (serial
// lines): COBS with a CRC-32, a size maximum, and resynchronisation on the next frame.
//
// On the wire a frame is
//
//     0x00  COBS(payload || CRC-32(payload), little-endian)  0x00
//
// COBS (Consistent Overhead Byte Stuffing, Cheshire & Baker 1999) removes every zero byte from the
// encoded body, so 0x00 only ever delimits: a receiver that starts mid-stream, or loses bytes, or
// sees garbage, is back in step at the next zero. The cost is bounded (one byte per 254, plus the
// two delimiters and four CRC bytes), unlike SLIP or HDLC escaping which can double the size.
// The delimiter before the frame ends whatever garbage or cut-off frame came before it, so such
// bytes are dropped as one bad chunk instead of spoiling the good frame that follows.
//
// CRC-32 is the IEEE 802.3 / zlib polynomial (reflected 0xEDB88320, init and final xor
// 0xFFFFFFFF), so any peer can check it with what its language ships (Python: zlib.crc32). It
// detects every error burst up to 32 bits and every 1-, 2- and 3-bit error in frames up to about
// 11 KiB; anything else, including garbage that happens to look like a frame, passes with
// probability 2^-32. CRC-16 (1 in 65536) is too weak for a line that may carry noise for hours.
//
// Pure code: no I/O, no OS header. Unit tests in frame_test.cc, fuzzing in tests/fuzz.
#ifndef MPROC_CORE_FRAME_H
#define MPROC_CORE_FRAME_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace mproc_frame {

constexpr size_t kCrcSize = 4;

// CRC-32 (IEEE) of n bytes, continuing from crc (0 to start): crc32(b, crc32(a)) == crc32(a+b).
uint32_t crc32(const void* data, size_t n, uint32_t crc = 0);

// The most bytes encode() appends for a payload of n bytes (delimiters included).
size_t max_encoded_size(size_t n);

// Appends the frame for the n payload bytes at data to out.
void encode(const void* data, size_t n, std::string* out);

// Why a chunk of received bytes was not a frame.
enum class drop_reason {
  crc,        // decoded, but the CRC does not match: corrupt bytes, or garbage between frames
  malformed,  // not valid COBS, or too short to hold a CRC
  oversize,   // longer than the maximum payload: discarded up to the next delimiter
  truncated,  // the stream ended (finish()) in the middle of a frame
};
const char* drop_reason_name(drop_reason r);

struct decoder_stats {
  uint64_t frames = 0;           // good frames delivered
  uint64_t dropped[4] = {};      // per drop_reason
  uint64_t bytes_discarded = 0;  // received bytes that were not part of a good frame
  uint64_t dropped_total() const { return dropped[0] + dropped[1] + dropped[2] + dropped[3]; }
};

// Receives: takes bytes in pieces of any size, hands out whole payloads and reports drops.
// Memory is bounded by max_encoded_size(max_payload).
class decoder {
 public:
  // What feed() and finish() report to. A payload pointer is valid only during the call.
  class sink {
   public:
    virtual ~sink() = default;
    virtual void frame(const char* data, size_t n) = 0;
    // bytes: how many received bytes the dropped chunk held (delimiters not counted).
    virtual void drop(drop_reason why, size_t bytes) = 0;
  };

  explicit decoder(size_t max_payload);

  void feed(const void* data, size_t n, sink* out);
  // The stream ended: a chunk in progress is dropped as truncated. The decoder can be fed again.
  void finish(sink* out);
  // Forgets a chunk in progress without reporting it (the caller discarded its input).
  void reset();

  // True while the bytes of an unfinished chunk are held.
  bool in_frame() const { return !chunk_.empty() || discarding_; }
  size_t max_payload() const { return max_payload_; }
  const decoder_stats& stats() const { return stats_; }

 private:
  void end_chunk(sink* out);

  size_t max_payload_;
  size_t max_chunk_;   // the longest COBS body a max_payload frame can have
  std::string chunk_;  // the body received since the last delimiter
  bool discarding_ = false;
  size_t discarded_ = 0;  // bytes of an oversize chunk, while discarding_
  decoder_stats stats_;
};

}  // namespace mproc_frame

#endif  // MPROC_CORE_FRAME_H
